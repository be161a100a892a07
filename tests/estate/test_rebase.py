"""File references of an estate written to another folder still name the same files."""

from __future__ import annotations

from pathlib import Path

from stackrift.estate.loader import load_estate
from stackrift.estate.rebase import rebase_files

ESTATE = """\
organisation: {name: Org, hq_country: US}
entities: [{id: hq, name: HQ, country: US}]
sites: [{id: s, name: S, kind: on_prem, country: US, entity: hq,
         crypto: {cboms: [site.cbom.json]}}]
systems:
  - id: a
    name: A
    purpose: p
    owner: hq
    site: s
    sboms: [sboms/a.cdx.json, /abs/b.cdx.json]
    crypto:
      certificates: [crypto/a.pem]
      probes: [crypto/a.probe.json]
      gateway_faces: [{towards: s, profile: {cboms: [gw.cbom.json]}}]
"""


def test_relative_references_are_rewritten_and_absolute_ones_kept(tmp_path: Path) -> None:
    source = tmp_path / "team" / "estate"
    source.mkdir(parents=True)
    (source / "estate.yaml").write_text(ESTATE, encoding="utf-8")
    loaded = load_estate(source / "estate.yaml")
    target = tmp_path / "plans"
    moved = rebase_files(loaded.estate, loaded.base_dir, target)
    system = moved.systems[0]
    assert system.sboms == ("../team/estate/sboms/a.cdx.json", "/abs/b.cdx.json")
    assert system.crypto is not None
    assert system.crypto.certificates == ("../team/estate/crypto/a.pem",)
    assert system.crypto.probes == ("../team/estate/crypto/a.probe.json",)
    assert system.crypto.gateway_faces[0].profile.cboms == ("../team/estate/gw.cbom.json",)
    assert moved.sites[0].crypto is not None
    assert moved.sites[0].crypto.cboms == ("../team/estate/site.cbom.json",)
    for name in (*system.sboms[:1], *system.crypto.certificates):
        assert (target / name).resolve() == (source / name.removeprefix("../team/estate/"))
    # the same folder: nothing changes
    assert rebase_files(loaded.estate, loaded.base_dir, source) is loaded.estate
