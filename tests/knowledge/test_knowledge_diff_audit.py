"""`stackrift knowledge diff` and `knowledge audit` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from tests.knowledge.conftest import CliRunner, replace_in, reseal


def test_diff_of_identical_sets_exits_0(cli: CliRunner, exported: Path) -> None:
    result = cli("knowledge", "diff", "packaged", str(exported))
    assert result.code == 0, result.err
    assert "no differences" in result.out


def test_diff_lists_facts_added_removed_and_changed_per_file(cli: CliRunner,
                                                             exported: Path) -> None:
    pack_file = exported / "rules" / "packs" / "sg.yaml"
    pack = yaml.safe_load(pack_file.read_text("utf-8"))
    first, *rest = pack["rules"]
    changed = {**first, "title": first["title"] + " (amended)"}
    added = {**first, "id": "sg.test.added"}
    pack["rules"] = [changed, added, *rest]
    pack_file.write_text(yaml.safe_dump(pack, sort_keys=False), encoding="utf-8")
    (exported / "plan" / "scenarios" / "zz-new.yaml").write_text(
        (exported / "plan" / "scenarios" / "d5-accelerator-tightening.yaml")
        .read_text("utf-8").replace("id: d5-accelerator-tightening", "id: zz-new"), "utf-8")
    groups_file = exported / "plan" / "data" / "country_groups.yaml"
    groups = yaml.safe_load(groups_file.read_text("utf-8"))
    removed = groups["groups"].pop()
    groups_file.write_text(yaml.safe_dump(groups, sort_keys=False), encoding="utf-8")
    result = cli("knowledge", "diff", "packaged", str(exported), "--json")
    assert result.code == 1, result.err
    diff = json.loads(result.out)
    assert {"file": "plan/scenarios/zz-new.yaml", "change": "added"} in diff["files"]
    facts = {(f["file"], f["kind"], f["id"]): f for f in diff["facts"]}
    assert facts[("rules/packs/sg.yaml", "rule", first["id"])]["change"] == "changed"
    assert facts[("rules/packs/sg.yaml", "rule", first["id"])]["fields"] == ["title"]
    assert facts[("rules/packs/sg.yaml", "rule", "sg.test.added")]["change"] == "added"
    assert facts[("plan/scenarios/zz-new.yaml", "scenario", "zz-new")]["change"] == "added"
    gone = facts[("plan/data/country_groups.yaml", "country-group", removed["id"])]
    assert gone["change"] == "removed"
    assert diff["old"] == {"set": "packaged", "version": diff["old"]["version"]}
    text = cli("knowledge", "diff", "packaged", str(exported))
    assert f"  changed  rule {first['id']} (title)" in text.out


def _minimal_set(folder: Path, checked_on: str, in_force_from: str) -> None:
    """A small set whose every fact is sourced, with one rule checked on ``checked_on``."""
    files = {
        "catalog/data/catalogue.yaml": "version: '1'\nas_of: 2026-12-01\n",
        "rules/data/providers.yaml": "providers: {}\n",
        "plan/data/runtime_support.yaml": "runtimes: {}\n",
        "plan/data/country_groups.yaml": (
            "groups:\n  - id: 'D:5'\n    title: D5\n    members: [CN, HK, MO, RU]\n"
            "    citation: {source: '15 CFR 740 Supp. 1', checked_on: 2026-12-01}\n"),
        "rules/packs/t.yaml": (
            "pack: t\ntitle: T\nregime: US\nversion: '1'\nrules:\n"
            "  - id: t.one\n    title: Chips at sites in D:5 need a licence\n    scope: system\n"
            "    when: {fact: site_country, in: [CN, MO, RU]}\n    outcome: prohibited\n"
            f"    citation: {{source: 'EAR', section: '744.23', checked_on: {checked_on}}}\n"
            f"    in_force_from: {in_force_from}\n    confidence: verified\n"),
    }
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def test_audit_of_a_clean_set_exits_0(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "clean"
    _minimal_set(folder, "2026-12-01", "2020-01-01")
    replace_in(folder / "rules" / "packs" / "t.yaml", "in: [CN, MO, RU]", "in: [CN, HK, MO, RU]")
    reseal(cli, folder)
    result = cli("--knowledge", str(folder), "knowledge", "audit", "--as-of", "2026-12-03",
                 "--format", "json")
    assert result.code == 0, result.out
    audit = json.loads(result.out)
    assert audit["items"] == []
    assert audit["looked_at"]["facts_by_kind"] == {"country-group": 1, "rule": 1}
    assert audit["knowledge"]["source"] == "directory"


def test_audit_json_lists_each_category(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "stale"
    _minimal_set(folder, "2025-01-01", "2025-07-01")
    (folder / "catalog" / "data" / "v.yaml").write_text(
        "vendors:\n  - {id: acme, name: Acme, country: US, entity_list: {listed: false},"
        " as_of: 2026-12-01, confidence: unverified}\n", encoding="utf-8")
    reseal(cli, folder)
    result = cli("--knowledge", str(folder), "knowledge", "audit", "--as-of", "2026-12-03",
                 "--older-than", "26w", "--format", "json")
    assert result.code == 1, result.err
    audit = json.loads(result.out)
    assert audit["older_than_days"] == 182
    found = {(i["category"], i["kind"], i["id"]) for i in audit["items"]}
    assert found == {
        ("no-source", "vendor", "acme"),
        ("unverified", "vendor", "acme"),
        ("not-checked", "rule", "t.one"),
        ("in-force-since-check", "rule", "t.one"),
        ("contradiction", "rule", "t.one"),
    }
    by_category = {i["category"]: i for i in audit["items"]}
    assert by_category["unverified"]["message"] == "unverified, and no reason is given"
    assert by_category["contradiction"]["detail"]["missing"] == ["HK"]
    assert by_category["in-force-since-check"]["detail"]["date"] == "2025-07-01"
    assert by_category["contradiction"]["where"] == "rules/packs/t.yaml:6"
    assert audit["counts"] == {"no-source": 1, "unverified": 1, "not-checked": 1,
                               "in-force-since-check": 1, "contradiction": 1}


def test_audit_finds_the_same_instrument_with_different_dates(cli: CliRunner,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "dates"
    _minimal_set(folder, "2026-12-01", "2020-01-01")
    replace_in(folder / "rules" / "packs" / "t.yaml", "section: '744.23',",
               "section: '744.23', in_force_from: 2020-01-01,")
    (folder / "plan" / "data" / "country_groups.yaml").write_text(
        "groups:\n  - id: 'D:9'\n    title: D9\n    members: [XX]\n    citation: {source: EAR,"
        " section: '744.23', in_force_from: 2021-01-01, checked_on: 2026-12-01}\n", "utf-8")
    reseal(cli, folder)
    result = cli("--knowledge", str(folder), "knowledge", "audit", "--as-of", "2026-12-03",
                 "--format", "json")
    assert result.code == 1
    items = json.loads(result.out)["items"]
    assert [i["detail"]["kind"] for i in items] == ["instrument-dates"]
    assert list(items[0]["detail"]["uses"]) == ["2020-01-01", "2021-01-01"]


def test_audit_bad_input_exits_2(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("knowledge", "audit", "--older-than", "six months")
    assert result.code == 2
    assert "--older-than: 'six months' is not a window" in result.err
    folder = tmp_path / "broken"
    _minimal_set(folder, "2026-12-01", "2020-01-01")
    replace_in(folder / "rules" / "packs" / "t.yaml", "checked_on: 2026-12-01",
               "checked_on: yesterday")
    from datetime import date

    from stackrift.knowledge.manifest import build_manifest

    (folder / "manifest.json").write_text(
        build_manifest(folder, "1", date(2026, 12, 3)).to_json(), "utf-8")
    result = cli("--knowledge", str(folder), "knowledge", "audit")
    assert result.code == 2
    assert "rules/packs/t.yaml" in result.err
    assert "checked_on" in result.err


def test_audit_finds_a_rule_reaching_fewer_countries_than_the_catalogue_control(
        cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "reach"
    _minimal_set(folder, "2026-12-01", "2020-01-01")
    replace_in(folder / "rules" / "packs" / "t.yaml", "section: '744.23'",
               "section: '744.23; ECCN 3A090'")
    (folder / "catalog" / "data" / "chips.yaml").write_text(
        "vendors:\n  - {id: acme, name: Acme, country: US, entity_list: {listed: false},"
        " as_of: 2026-12-01}\nproducts:\n  - id: chip\n    vendor: acme\n    name: Chip\n"
        "    layer: accelerator\n    controls:\n      - id: ear-3a090\n        eccn: 3A090.a\n"
        "        description: licence\n        destinations: ['D:5']\n"
        "        citation: {source: '88 FR 73458', checked_on: 2026-12-01}\n", "utf-8")
    reseal(cli, folder)
    result = cli("--knowledge", str(folder), "knowledge", "audit", "--as-of", "2026-12-03",
                 "--format", "json")
    assert result.code == 1
    reach = [i for i in json.loads(result.out)["items"]
             if i["detail"].get("kind") == "control-reach"]
    assert len(reach) == 1
    assert reach[0]["id"] == "t.one"
    assert reach[0]["detail"] == {"kind": "control-reach", "control": "chip/ear-3a090",
                                  "date": "2026-12-03", "rules": ["t.one"], "missing": ["HK"]}


def test_country_lists_are_compared_with_the_group_on_the_as_of_date(cli: CliRunner,
                                                                    tmp_path: Path) -> None:
    folder = tmp_path / "dated"
    _minimal_set(folder, "2026-12-01", "2020-01-01")
    replace_in(folder / "rules" / "packs" / "t.yaml", "in: [CN, MO, RU]", "in: [CN, HK, MO, RU]")
    replace_in(folder / "plan" / "data" / "country_groups.yaml", "    citation:",
               "    changes:\n      - {country: KH, from: 2021-12-09, until: 2025-11-07,\n"
               "         citation: {source: '22 CFR 126.1', checked_on: 2026-12-01}}\n"
               "    citation:")
    reseal(cli, folder)

    def contradictions(as_of: str) -> list[object]:
        result = cli("--knowledge", str(folder), "knowledge", "audit", "--as-of", as_of,
                     "--older-than", "9999d", "--format", "json")
        return [i["detail"]["missing"] for i in json.loads(result.out)["items"]
                if i["category"] == "contradiction"]

    assert contradictions("2025-11-06") == [["KH"]]  # Cambodia still in the group that day
    assert contradictions("2025-11-07") == []


def test_table_entries_cite_their_source_inline(cli: CliRunner, tmp_path: Path) -> None:
    """Provider and runtime-support entries state their value beside citation keys."""
    folder = tmp_path / "tables"
    _minimal_set(folder, "2026-12-01", "2020-01-01")
    replace_in(folder / "rules" / "packs" / "t.yaml", "in: [CN, MO, RU]", "in: [CN, HK, MO, RU]")
    (folder / "rules" / "data" / "providers.yaml").write_text(
        "providers:\n  Acme Cloud: {country: US, source: 'Acme 10-K', checked_on: 2026-12-01}\n"
        "  Bare Cloud: DE\n", "utf-8")
    (folder / "plan" / "data" / "runtime_support.yaml").write_text(
        "runtimes:\n  rt:\n    fw: {level: native, via: x, source: 'https://e.org/a',"
        " checked_on: 2026-12-01}\n    fw2: {level: native, via: y, source: 'https://e.org/b'}\n",
        "utf-8")
    reseal(cli, folder)
    result = cli("--knowledge", str(folder), "knowledge", "audit", "--as-of", "2026-12-03",
                 "--format", "json")
    found = {(i["category"], i["kind"], i["id"]) for i in json.loads(result.out)["items"]}
    assert found == {("no-source", "provider-country", "Bare Cloud"),
                     ("not-checked", "runtime-support", "rt/fw2")}
