"""Precision and recall of the CNVD product-text resolver for Maven coordinates, recomputed on a
hand-labelled sample (tests/advisories/data/cnvd_resolver_sample.json; see docs/advisories.md).

Each labelled pair is put through the real matcher: the CNVD record (with the labelled product
text) is imported into a store, the component is matched, and the pair counts as predicted when
the record matched by product text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.advisories.conftest import cnvd_entry, write_cnvd

from stackrift.advisories.importer import import_paths
from stackrift.advisories.matcher import Matcher, Target
from stackrift.advisories.store import SqliteStore

SAMPLE = Path(__file__).parent / "data" / "cnvd_resolver_sample.json"
PRECISION_FLOOR = 0.9
RECALL_FLOOR = 0.8


def _confusion(tmp_path: Path, pairs: list[dict[str, object]]) -> dict[str, int]:
    # one record per labelled (record, product text), so a pair is judged on its own text
    ids: dict[tuple[str, str], str] = {}
    for pair in pairs:
        ids.setdefault((str(pair["cnvd"]), str(pair["product"])), f"CNVD-2999-{len(ids):05d}")
    entries = [cnvd_entry(number, product=product) for (_c, product), number in ids.items()]
    with SqliteStore(tmp_path / "sample.sqlite") as store:
        import_paths(store, [write_cnvd(tmp_path / "sample.xml", entries, gz=False)])
        matcher = Matcher(store)
        counts = dict.fromkeys(("tp", "fp", "fn", "tn"), 0)
        for pair in pairs:
            wanted = ids[(str(pair["cnvd"]), str(pair["product"]))]
            matches = matcher.match(Target(str(pair["purl"]), str(pair["purl"]), None,
                                           str(pair["purl"])))
            predicted = any(r.id == wanted and r.method == "product-text"
                            for m in matches for r in m.records)
            key = ("t" if predicted == pair["affected"] else "f") + ("p" if predicted else "n")
            counts[key] += 1
    return counts


@pytest.fixture(scope="module")
def sample() -> list[dict[str, object]]:
    pairs = json.loads(SAMPLE.read_text(encoding="utf-8"))["pairs"]
    assert len(pairs) >= 40
    return pairs


def test_resolver_precision_and_recall_on_the_labelled_sample(
        tmp_path: Path, sample: list[dict[str, object]]) -> None:
    counts = _confusion(tmp_path, sample)
    precision = counts["tp"] / (counts["tp"] + counts["fp"])
    recall = counts["tp"] / (counts["tp"] + counts["fn"])
    assert precision >= PRECISION_FLOOR, counts
    assert recall >= RECALL_FLOOR, counts
    # the figures docs/advisories.md states
    assert counts == {"tp": 42, "fp": 0, "fn": 4, "tn": 24}, counts


def test_held_out_pairs_alone(tmp_path: Path, sample: list[dict[str, object]]) -> None:
    held = [p for p in sample if p["sample"] == "held-out"]
    counts = _confusion(tmp_path, held)
    assert counts["fp"] == 0 and counts["tp"] >= 12, counts
