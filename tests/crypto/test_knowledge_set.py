"""The crypto packs are part of the knowledge set: loaded from the active set, diffed, audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from stackrift.crypto.loader import load_regimes, load_registry
from stackrift.knowledge.audit import audit_set
from stackrift.knowledge.diff import SideOfDiff, diff_sets
from stackrift.knowledge.install import export_set
from stackrift.knowledge.items import Category
from stackrift.knowledge.manifest import MANIFEST_NAME, build_manifest
from stackrift.knowledge.sets import packaged_root, packaged_set, select_knowledge


@pytest.fixture
def edited_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The packaged set exported, one CN crypto rule retitled, resealed."""
    monkeypatch.setenv("STACKRIFT_KNOWLEDGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STACKRIFT_KNOWLEDGE", raising=False)
    folder = tmp_path / "set"
    names = export_set(packaged_set(), folder)
    assert "crypto/packs/regimes/cn.yaml" in names and "crypto/packs/tls.yaml" in names
    pack = folder / "crypto" / "packs" / "regimes" / "cn.yaml"
    text = pack.read_text(encoding="utf-8")
    old = "title: CII operators must protect their systems with commercial cryptography"
    assert old in text
    pack.write_text(text.replace(old, "title: CII operators (edited)", 1), encoding="utf-8")
    manifest = build_manifest(folder, "2026.12.99", date(2026, 12, 4))
    (folder / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    yield folder
    select_knowledge(None)


def test_the_crypto_loaders_read_the_active_knowledge_set(edited_set: Path) -> None:
    packaged = {r.id: r.title for r in load_regimes()["CN"].pack.rules}
    assert "edited" not in packaged["cn.crypto-law.27.cii"]
    select_knowledge(edited_set)
    chosen = load_regimes()["CN"]
    assert chosen.path.startswith(str(edited_set.resolve()))
    assert {r.id: r.title for r in chosen.pack.rules}["cn.crypto-law.27.cii"].startswith(
        "CII operators (edited)")
    assert load_registry().suite("TLS_SM4_GCM_SM3") is not None


def test_knowledge_diff_names_the_changed_crypto_rule(edited_set: Path) -> None:
    diff = diff_sets(SideOfDiff("packaged", packaged_root(), None),
                     SideOfDiff("edited", edited_set, "2026.12.99"))
    assert [(c.kind, c.id, c.fields) for c in diff.facts] == [
        ("crypto-rule", "CN:cn.crypto-law.27.cii", ("title",))]
    assert [f for f, _ in diff.files] == ["crypto/packs/regimes/cn.yaml"]


def test_knowledge_audit_lists_the_unverified_crypto_facts_with_their_reasons() -> None:
    report = audit_set(packaged_root(), as_of=date(2026, 12, 4), older_than_days=180)
    unverified = {(i.kind, i.id) for i in report.items if i.category is Category.UNVERIFIED}
    assert ("crypto-rule", "CN:cn.ccar-2023.cii-product-certification") in unverified
    assert ("crypto-algorithm", "hmac-sm3") in unverified  # its OID arc is not confirmed
    assert not [i for i in report.items if i.category is Category.NO_SOURCE
                and i.kind.startswith("crypto")]


def test_a_set_with_a_broken_crypto_pack_is_refused_with_its_location(edited_set: Path) -> None:
    from stackrift.errors import InvalidInputError
    from stackrift.knowledge.install import validate_set

    pack = edited_set / "crypto" / "packs" / "regimes" / "cn.yaml"
    text = pack.read_text(encoding="utf-8")
    pack.write_text(text.replace("only_families: [SM2, SM3, SM4]",
                                 "only_families: [SM2, SM3, SM9]", 1), encoding="utf-8")
    with pytest.raises(InvalidInputError) as raised:
        validate_set(edited_set)
    assert "cn.yaml" in str(raised.value) and "unknown family 'SM9'" in str(raised.value)
