"""Estate loading: valid files load; every kind of mistake is reported with its exact location."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.errors import InvalidInputError
from stackrift.estate.loader import load_estate
from stackrift.estate.model import Criticality, DataCategory

VALID = """\
organisation: {name: Acme, hq_country: US}
entities:
  - id: hq
    name: Acme Inc.
    country: US
  - id: cn-sub
    name: Acme Shanghai
    country: CN
    parent: hq
    ownership_pct: 100
sites:
  - id: use1
    name: AWS us-east-1
    kind: cloud_region
    provider: Amazon Web Services
    region: us-east-1
    country: US
components:
  - id: gpu
    type: accelerator
    name: H100
    vendor: NVIDIA
systems:
  - id: chat
    name: Chatbot
    purpose: Answers questions
    owner: hq
    site: use1
    criticality: high
    components: [gpu]
data_flows:
  - id: f1
    from: use1
    to: cn-sub
    data_categories: [personal]
    subjects: 1000
"""


def _errors(tmp_path: Path, text: str, name: str = "estate.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        load_estate(path)
    prefix = f"{path}:"
    lines = caught.value.diagnostics()
    assert all(line.startswith(prefix) for line in lines), lines
    return [line.removeprefix(prefix) for line in lines]


def test_valid_estate_loads(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(VALID, encoding="utf-8")
    loaded = load_estate(path)
    assert loaded.estate.organisation.name == "Acme"
    assert loaded.estate.systems[0].criticality is Criticality.HIGH
    assert loaded.estate.data_flows[0].source == "use1"
    assert loaded.estate.data_flows[0].data_categories == (DataCategory.PERSONAL,)
    assert str(loaded.locate("systems", "chat", "site")) == f"{path}:28:11"


def test_json_estate_loads_with_locations(tmp_path: Path) -> None:
    path = tmp_path / "estate.json"
    path.write_text('{"organisation": {"name": "A", "hq_country": "de"},\n "sites": []}\n')
    loaded = load_estate(path)
    assert loaded.estate.organisation.hq_country == "DE"  # normalised to upper case


def test_demo_estate_is_valid(demo_estate: Path) -> None:
    loaded = load_estate(demo_estate)
    assert len(loaded.estate.systems) >= 8
    assert len(loaded.estate.data_flows) >= 10
    countries = {e.country for e in loaded.estate.entities}
    assert {"US", "DE", "CN"} <= countries


MALFORMED: list[tuple[str, str, str, list[str]]] = [
    (
        "yaml-syntax",
        "organisation: {name: Acme, hq_country: US}\n",
        "organisation: [unclosed\nsites: []\n",
        ["2:6: YAML syntax error: expected ',' or ']', but got ':'; well-formed YAML or JSON"],
    ),
    (
        "unknown-key-typo",
        "    criticality: high\n",
        "    critcality: high\n",
        [
            "29:5: unknown key 'critcality' in systems[0]; did you mean 'criticality'? allowed "
            "keys: id, name, purpose, owner, site, criticality, users_countries, ai_act_risk, "
            "public_facing, generative, components, sboms, annual_cost, allowed_sites, "
            "allowed_accelerators, export_licences, training_compute_ops, user_data, "
            "user_data_mechanisms, crypto, ai_roles, high_risk_route, interacts_with_people, "
            "opinion_influence, federal, cii, sector, mlps_level, adopted_frameworks, "
            "gpai_provider, high_impact, frontier_compute, recommender, consequential_decisions"
        ],
    ),
    (
        "invalid-country",
        "    country: CN\n",
        "    country: XX\n",
        [
            "8:14: entities[1].country: 'XX' is not an ISO 3166-1 alpha-2 country code; "
            "an ISO 3166-1 alpha-2 code such as US, DE or CN"
        ],
    ),
    (
        "wrong-type-integer",
        "    subjects: 1000\n",
        "    subjects: many\n",
        [
            "36:15: data_flows[0].subjects: invalid value 'many'; input should be a valid "
            "integer, unable to parse string as an integer"
        ],
    ),
    (
        "invalid-enum",
        "    criticality: high\n",
        "    criticality: urgent\n",
        [
            "29:18: systems[0].criticality: invalid value 'urgent'; one of 'low', 'medium', "
            "'high' or 'critical'"
        ],
    ),
    (
        "dangling-site",
        "    site: use1\n",
        "    site: fra1\n",
        [
            "28:11: system 'chat' names site 'fra1' in 'site', which is not defined; the id of "
            "a defined site (use1)"
        ],
    ),
    (
        "dangling-component",
        "    components: [gpu]\n",
        "    components: [gpu, tpu]\n",
        [
            "30:23: system 'chat' names component 'tpu' in 'components', which is not defined; "
            "the id of a defined component (gpu)"
        ],
    ),
    (
        "dangling-flow-endpoint",
        "    to: cn-sub\n",
        "    to: cn-subsidiary\n",
        [
            "34:9: data flow 'f1' names site or entity 'cn-subsidiary' in 'to', which is not "
            "defined; the id of a defined site or entity (cn-sub, hq, use1)"
        ],
    ),
    (
        "dangling-parent",
        "    parent: hq\n",
        "    parent: headquarters\n",
        [
            "9:13: entity 'cn-sub' names entity 'headquarters' in 'parent', which is not "
            "defined; the id of a defined entity (cn-sub, hq)"
        ],
    ),
    (
        "duplicate-id",
        "  - id: cn-sub\n",
        "  - id: hq\n",
        [
            "6:9: duplicate id 'hq' in entities (first defined at {path}:3:9); ids unique "
            "within each list",
            "9:13: entity 'hq' names itself as its parent; another entity's id",
            "34:9: data flow 'f1' names site or entity 'cn-sub' in 'to', which is not defined; "
            "the id of a defined site or entity (hq, use1)",
        ],
    ),
    (
        "missing-required",
        "    purpose: Answers questions\n",
        "",
        ["24:5: missing required key 'purpose' in systems[0]; a value for 'purpose'"],
    ),
    (
        "ownership-out-of-range",
        "    ownership_pct: 100\n",
        "    ownership_pct: 150\n",
        [
            "10:20: entities[1].ownership_pct: invalid value 150; input should be less than or "
            "equal to 100"
        ],
    ),
    (
        "duplicate-key",
        "    subjects: 1000\n",
        "    subjects: 1000\n    subjects: 2000\n",
        ["37:5: duplicate key 'subjects'; each key once per mapping"],
    ),
    (
        "python-tag-refused",
        "    subjects: 1000\n",
        "    subjects: !!python/object/apply:os.system ['true']\n",
        [
            "36:15: unsupported YAML value: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object/apply:os.system'; plain YAML scalars, lists and "
            "mappings (no tags)"
        ],
    ),
    (
        "empty-categories",
        "    data_categories: [personal]\n",
        "    data_categories: []\n",
        [
            "35:22: data_flows[0].data_categories: invalid value []; tuple should have at "
            "least 1 item after validation, not 0"
        ],
    ),
    (
        "flow-ends-before-start",
        "    subjects: 1000\n",
        "    subjects: 1000\n    start: 2026-05-01\n    end: 2026-01-01\n",
        [
            "38:10: data flow 'f1' ends (2026-01-01) before it starts (2026-05-01); an end "
            "date on or after the start date"
        ],
    ),
    (
        "invalid-identifier",
        "  - id: gpu\n",
        "  - id: my gpu\n",
        [
            "19:9: components[0].id: invalid value 'my gpu'; string should match pattern "
            "'^[A-Za-z0-9][A-Za-z0-9_.:/@+-]*$'",
            "30:18: system 'chat' names component 'gpu' in 'components', which is not "
            "defined; the id of a defined component (my gpu)",
        ],
    ),
    (
        "several-problems-at-once",
        "    criticality: high\n    components: [gpu]\n",
        "    criticality: severe\n    components: [gpu, nic]\n    colour: red\n",
        [
            "29:18: systems[0].criticality: invalid value 'severe'; one of 'low', 'medium', "
            "'high' or 'critical'",
            "30:23: system 'chat' names component 'nic' in 'components', which is not defined; "
            "the id of a defined component (gpu)",
            "31:5: unknown key 'colour' in systems[0]; allowed keys: "
            "id, name, purpose, owner, site, criticality, users_countries, ai_act_risk, "
            "public_facing, generative, components, sboms, annual_cost, allowed_sites, "
            "allowed_accelerators, export_licences, training_compute_ops, user_data, "
            "user_data_mechanisms, crypto, ai_roles, high_risk_route, interacts_with_people, "
            "opinion_influence, federal, cii, sector, mlps_level, adopted_frameworks, "
            "gpai_provider, high_impact, frontier_compute, recommender, consequential_decisions",
        ],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [pytest.param(old, new, expected, id=name) for name, old, new, expected in MALFORMED],
)
def test_malformed_estate_reports_location(
    tmp_path: Path, old: str, new: str, expected: list[str]
) -> None:
    assert old in VALID
    text = VALID.replace(old, new, 1) if old != VALID[: len(old)] or new else VALID
    if old == "organisation: {name: Acme, hq_country: US}\n":
        text = new
    errors = _errors(tmp_path, text)
    path = tmp_path / "estate.yaml"
    assert errors == [e.replace("{path}", str(path)) for e in expected]


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    assert _errors(tmp_path, "- just\n- a list\n") == [
        "1:1: the estate must be a mapping at top level; keys such as organisation, entities, "
        "sites, systems"
    ]


def test_empty_file(tmp_path: Path) -> None:
    assert _errors(tmp_path, "") == ["1:1: file is empty; a YAML or JSON document"]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_bytes(b"organisation: {name: \xff\xfe}\n")
    with pytest.raises(InvalidInputError) as caught:
        load_estate(path)
    assert caught.value.diagnostics() == [
        f"{path}: not valid UTF-8 at byte 21; a UTF-8 encoded YAML or JSON file"
    ]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        load_estate(tmp_path / "absent.yaml")
    assert "cannot read file" in caught.value.diagnostics()[0]


def test_alias_expansion_is_bounded(tmp_path: Path) -> None:
    # A "billion laughs" in YAML: nine levels of nine aliases each.
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    errors = _errors(tmp_path, "\n".join(lines) + "\n")
    assert len(errors) == 1
    assert errors[0].startswith("1:1: document expands to 1,000,001 values (alias expansion?)")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert errors == [" document is nested too deeply; a reasonably flat YAML or JSON document"]


def test_ownership_cycle(tmp_path: Path) -> None:
    text = VALID.replace(
        "  - id: hq\n    name: Acme Inc.\n    country: US\n",
        "  - id: hq\n    name: Acme Inc.\n    country: US\n    parent: cn-sub\n",
    )
    errors = _errors(tmp_path, text)
    assert errors == [
        "6:13: entity ownership forms a cycle: hq -> cn-sub -> hq; a parent chain that ends at "
        "a top-level entity"
    ]
