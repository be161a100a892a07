"""The shipped knowledge set: its manifest is current, and every fact is sourced and checked."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from tests.knowledge.conftest import CliRunner

from stackrift.knowledge.audit import audit_set
from stackrift.knowledge.facts import FactKind, read_facts
from stackrift.knowledge.items import Category
from stackrift.knowledge.manifest import build_manifest
from stackrift.knowledge.sets import PACKAGED_MANIFEST, packaged_root, packaged_set

AS_OF = date(2026, 12, 3)


def test_packaged_manifest_names_every_file_with_its_sha256() -> None:
    """Regenerate after changing shipped data: STACKRIFT_UPDATE_MANIFEST=1 pytest <this file>
    (bump the version in src/stackrift/knowledge/packaged.json when the facts change)."""
    shipped = packaged_set().manifest
    current = build_manifest(packaged_root(), shipped.version, shipped.date, shipped.description)
    if os.environ.get("STACKRIFT_UPDATE_MANIFEST") == "1":
        (packaged_root() / PACKAGED_MANIFEST).write_text(current.to_json(), encoding="utf-8")
        pytest.skip("regenerated the packaged knowledge manifest")
    # Names only: two entries for one file (old and new digest) do not order against each other.
    stale = sorted({name for name, _ in set(shipped.files.items()) ^ set(current.files.items())})
    assert not stale, ("the packaged manifest is out of date for "
                       f"{stale}; run "
                       "STACKRIFT_UPDATE_MANIFEST=1 pytest "
                       "tests/knowledge/test_knowledge_shipped.py")


def _unsourced() -> Counter[str]:
    report = audit_set(packaged_root(), as_of=AS_OF, older_than_days=180)
    return Counter(i.kind for i in report.items if i.category is Category.NO_SOURCE)


@pytest.mark.parametrize("kind", list(FactKind))
def test_no_shipped_fact_lacks_a_source(kind: FactKind) -> None:
    missing = _unsourced()[kind.value]
    assert missing == 0, f"{missing} shipped {kind.value} records cite no source"


def test_audit_prints_the_unsourced_count(cli: CliRunner) -> None:
    """The CLI reports the same count as the library (the category the acceptance names)."""
    result = cli("knowledge", "audit", "--as-of", AS_OF.isoformat(), "--format", "json")
    assert result.code in (0, 1), result.err
    audit = json.loads(result.out)
    assert audit["counts"]["no-source"] == sum(_unsourced().values())
    assert audit["knowledge"]["source"] == "packaged"
    assert sum(audit["looked_at"]["facts_by_kind"].values()) == len(read_facts(packaged_root()))


def test_every_shipped_citation_has_checked_on() -> None:
    unchecked = [f"{fact.where} {fact.kind.value} {fact.id}: {citation}"
                 for fact in read_facts(packaged_root()) for citation in fact.citations
                 if citation.checked_on is None]
    assert not unchecked, f"{len(unchecked)} citations lack checked_on, e.g. {unchecked[:5]}"


def test_facts_cover_every_record_the_loaders_read() -> None:
    """The audit walks every record the catalogue, rules and scenario loaders load."""
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.plan.groups import country_groups
    from stackrift.plan.scenario import load_scenario, packaged_scenarios
    from stackrift.rules.engine import load_rule_set

    kinds = Counter(f.kind for f in read_facts(packaged_root()))
    catalogue, rules = load_catalogue(), load_rule_set()
    assert kinds[FactKind.VENDOR] == kinds[FactKind.ENTITY_LISTING] == len(catalogue.vendors)
    assert kinds[FactKind.PRODUCT] == len(catalogue.products)
    assert kinds[FactKind.EXPORT_CONTROL] == sum(len(p.controls)
                                                 for p in catalogue.products.values())
    assert kinds[FactKind.REGION] == len(catalogue.data.regions)
    assert kinds[FactKind.RULE] == len(rules.rules)
    assert kinds[FactKind.CONFLICT] == len(rules.conflicts)
    assert kinds[FactKind.CONFLICT_SIDE] == 2 * len(rules.conflicts)
    assert kinds[FactKind.SCENARIO] == len([load_scenario(p) for p in packaged_scenarios()])
    assert kinds[FactKind.COUNTRY_GROUP] == len([g for g in country_groups() if g != "EU"])
    from stackrift.crypto.loader import load_regimes, load_registry

    registry = load_registry()
    assert kinds[FactKind.CRYPTO_ALGORITHM] == len(registry.algorithms)
    assert kinds[FactKind.CRYPTO_SUITE] == len(registry.cipher_suites)
    assert kinds[FactKind.CRYPTO_GROUP] == len(registry.groups)
    assert kinds[FactKind.CRYPTO_SIGNATURE_SCHEME] == len(registry.signature_schemes)
    assert kinds[FactKind.CRYPTO_RULE] == sum(len(r.pack.rules) for r in load_regimes().values())
    assert kinds[FactKind.OTHER] == 0, "a record kind the audit does not name yet"


def test_every_citation_the_models_hold_is_seen_by_the_audit() -> None:
    """Count citations through the typed models: the raw walk must find at least as many."""
    from pydantic import BaseModel

    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.findings import Citation
    from stackrift.plan.scenario import load_scenario, packaged_scenarios
    from stackrift.rules.engine import load_rule_set

    def count(node: object) -> int:
        if isinstance(node, Citation):
            return 1
        if isinstance(node, BaseModel):
            return sum(count(getattr(node, name)) for name in type(node).model_fields)
        if isinstance(node, tuple | list):
            return sum(count(item) for item in node)
        if isinstance(node, dict):
            return sum(count(item) for item in node.values())
        return 0

    from stackrift.crypto.loader import load_regimes, load_registry

    registry = load_registry()
    typed = (count(load_catalogue().data) + count([p.pack for p in load_rule_set().packs])
             + count([load_scenario(p) for p in packaged_scenarios()])
             + count([r.pack for r in load_regimes().values()]))
    # Country groups and the two tables are read without these models; the crypto registry's
    # sources are its entries' standards, one citation each.
    standards = sum(len(e.standards) for e in (*registry.algorithms, *registry.cipher_suites,
                                               *registry.groups, *registry.signature_schemes))
    raw = sum(len(f.citations) for f in read_facts(packaged_root())
              if f.kind not in (FactKind.COUNTRY_GROUP, FactKind.RUNTIME_SUPPORT,
                                FactKind.PROVIDER_COUNTRY))
    typed += standards
    assert raw == typed


def test_shipped_set_path_is_inside_the_package() -> None:
    assert (packaged_root() / PACKAGED_MANIFEST).is_file()
    assert Path(packaged_root(), "catalog", "data", "catalogue.yaml").is_file()
