"""CycloneDX XML reader: real SBOMs agree with their JSON twins; hostile XML is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.bom.base import read_bom
from stackrift.errors import InvalidInputError


def test_every_real_xml_sbom_matches_its_json_twin(shared_data: Path) -> None:
    files = sorted((shared_data / "cyclonedx" / "bom-examples").rglob("*.xml"))
    assert len(files) == 17
    compared = 0
    for file in files:
        document = read_bom(file)
        assert document.format == "cyclonedx-xml"
        assert document.components, file
        twin = file.with_suffix(".json")
        if twin.exists():
            expected = read_bom(twin)
            # Licences and types are not compared: the published twins differ there
            # (dropwizard's XML omits a licence its JSON has; keycloak's types differ).
            assert [(c.id, c.name, c.version, c.purl, c.hashes)
                    for c in document.components] == [
                (c.id, c.name, c.version, c.purl, c.hashes) for c in expected.components]
            assert document.dependencies == expected.dependencies
            compared += 1
    assert compared == 16


def test_laravel_1_1_xml_counts(shared_data: Path) -> None:
    document = read_bom(shared_data / "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.1.xml")
    assert (document.spec_version, len(document.components)) == ("1.1", 62)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bom.xml"
    path.write_text(text)
    return path


NS = "http://cyclonedx.org/schema/bom/1.6"


def test_entities_are_refused_and_never_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    path = _write(tmp_path, f"""<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY xxe SYSTEM "file://{secret}">]>
<bom xmlns="{NS}" version="1"><components><component type="library">
<name>&xxe;</name></component></components></bom>""")
    with pytest.raises(InvalidInputError) as caught:
        read_bom(path)
    assert "DOCTYPE declaration is not allowed" in str(caught.value)
    assert str(caught.value).startswith(f"{path}:2:1: ")  # where the declaration stands
    assert "TOP-SECRET" not in str(caught.value)


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    path = _write(tmp_path, f'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY l0 "lol">'
                  f'{entities}]><bom xmlns="{NS}"><components><component type="library">'
                  f'<name>&l9;</name></component></components></bom>')
    with pytest.raises(InvalidInputError):
        read_bom(path)


def test_schema_violation_is_located(tmp_path: Path) -> None:
    path = _write(tmp_path, f"""<?xml version="1.0"?>
<bom xmlns="{NS}" version="1">
  <components>
    <component type="spaceship"><name>x</name></component>
  </components>
</bom>""")
    with pytest.raises(InvalidInputError) as caught:
        read_bom(path)
    problem = caught.value.problems[0]
    assert problem.location.line == 4
    assert "spaceship" in problem.message


def test_wrong_namespace(tmp_path: Path) -> None:
    path = _write(tmp_path, '<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/'
                  'bom/9.9"/>')
    with pytest.raises(InvalidInputError, match=r"bom.xml:2:1: root element is"):
        read_bom(path)


def test_duplicate_bom_ref_in_xml(tmp_path: Path) -> None:
    path = _write(tmp_path, f"""<?xml version="1.0"?>
<bom xmlns="{NS}" version="1"><components>
<component type="library" bom-ref="a"><name>x</name></component>
<component type="library" bom-ref="a"><name>y</name></component>
</components></bom>""")
    with pytest.raises(InvalidInputError, match=r"bom.xml:4:\d+: .*Duplicate key-sequence \['a'\]"):
        read_bom(path)


def test_model_card_datasets_in_xml(tmp_path: Path) -> None:
    path = _write(tmp_path, f"""<?xml version="1.0"?>
<bom xmlns="{NS}" version="1"><components>
<component type="machine-learning-model" bom-ref="m"><name>m</name>
<modelCard><modelParameters><task>classification</task><datasets>
<ref>d</ref><dataset><type>dataset</type><name>Inline data</name></dataset>
</datasets></modelParameters></modelCard></component>
<component type="data" bom-ref="d"><name>d</name><data><type>dataset</type></data></component>
</components></bom>""")
    document = read_bom(path)
    inline = next(c for c in document.components if c.name == "Inline data")
    assert inline.type.value == "dataset"
    assert [(d.ref, d.kind, d.depends_on) for d in document.dependencies] == [
        ("m", "trained-on", ("d", inline.id))]
    assert document.metadata["model_cards"]["m"] == {"task": "classification"}
