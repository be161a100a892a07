"""VEX input (CycloneDX VEX, OpenVEX, CSAF VEX) and waivers, applied to matches.

A VEX statement says, for a vulnerability and (optionally) a product, ``not_affected``,
``fixed``, ``affected`` or ``under_investigation``. ``not_affected`` and ``fixed`` suppress a
match; the others annotate it. A waiver suppresses a match for a stated reason until it expires;
a waiver without a reason is refused. Every suppression is counted in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from stackrift.advisories.matcher import Match
from stackrift.advisories.matching import purl_identity
from stackrift.boundedio import read_bounded
from stackrift.errors import InvalidInputError, Problem, json_syntax_error

MAX_VEX_BYTES = 64 * 1024 * 1024

SUPPRESSING = frozenset({"not_affected", "fixed"})
_CDX_STATES = {"not_affected": "not_affected", "false_positive": "not_affected",
               "resolved": "fixed", "resolved_with_pedigree": "fixed",
               "exploitable": "affected", "in_triage": "under_investigation"}
_CSAF_STATES = {"known_not_affected": "not_affected", "fixed": "fixed", "first_fixed": "fixed",
                "known_affected": "affected", "first_affected": "affected",
                "last_affected": "affected", "under_investigation": "under_investigation"}


@dataclass(frozen=True, slots=True)
class VexStatement:
    """One statement: a vulnerability id, the product (purl or None for all), a status."""

    vulnerability: str
    product: str | None
    status: str
    justification: str | None
    source: str

    def applies(self, match: Match) -> bool:
        if self.vulnerability not in match.ids:
            return False
        if self.product is None:
            return True
        return _same_product(self.product, match.target.purl, match.target.ref)


@dataclass(frozen=True, slots=True)
class Waiver:
    """Accepting a known vulnerability for a reason, optionally until a date."""

    vulnerability: str
    purl: str | None
    reason: str
    expires: date | None
    source: str

    def active(self, as_of: date) -> bool:
        return self.expires is None or as_of <= self.expires


def _same_product(product: str, purl: str | None, ref: str) -> bool:
    if product == ref or (purl and product == purl):
        return True
    if not purl:
        return False
    wanted, have = purl_identity(product), purl_identity(purl)
    if wanted is None or have is None:
        return False
    # a purl without a version covers every version
    return wanted[:2] == have[:2] and (wanted[2] is None or wanted[2] == have[2])


def load_vex(path: Path) -> list[VexStatement]:
    """Read a CycloneDX VEX, OpenVEX or CSAF VEX JSON document."""
    raw = read_bounded(path, MAX_VEX_BYTES)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise json_syntax_error(path, exc, "not valid JSON ({reason})",
                                "a CycloneDX VEX, OpenVEX or CSAF VEX JSON document") from None
    convert = None
    if isinstance(data, dict) and data.get("bomFormat") == "CycloneDX":
        convert = _cyclonedx
    elif isinstance(data, dict) and "statements" in data and "@context" in data:
        convert = _openvex
    elif isinstance(data, dict) and isinstance(data.get("document"), dict):
        convert = _csaf
    if convert is not None:
        try:
            statements = convert(data, str(path))
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            # a value of the wrong JSON type somewhere: the document is refused, not guessed at
            raise InvalidInputError.single(path, f"VEX document has a value of an unexpected "
                                           f"type ({type(exc).__name__}: {exc})",
                                           "a VEX document following its schema") from None
        bad = next((s for s in statements if not isinstance(s.product, str | None)
                    or not isinstance(s.justification, str | None)), None)
        if bad is not None:
            raise InvalidInputError.single(path, f"statement for {bad.vulnerability} names a "
                                           "product or justification that is not text",
                                           "product ids and justifications as strings")
        return statements
    raise InvalidInputError.single(path, "not a VEX document", "a CycloneDX document with "
                                   "vulnerabilities, an OpenVEX document or a CSAF VEX document")


def _cyclonedx(data: dict[str, Any], where: str) -> list[VexStatement]:
    refs: dict[str, str] = {}
    for component in data.get("components") or []:
        if isinstance(component, dict) and component.get("bom-ref") and component.get("purl"):
            refs[component["bom-ref"]] = component["purl"]
    statements = []
    for vuln in data.get("vulnerabilities") or []:
        analysis = vuln.get("analysis") or {}
        state = _CDX_STATES.get(str(analysis.get("state")))
        if not state or not isinstance(vuln.get("id"), str):
            continue
        ids = [vuln["id"], *(r.get("id") for r in vuln.get("references") or []
                             if isinstance(r, dict) and isinstance(r.get("id"), str))]
        affects = [a.get("ref") for a in vuln.get("affects") or [] if isinstance(a, dict)]
        products: list[str | None] = [refs.get(str(ref), str(ref)) for ref in affects if ref]
        products = products or [None]
        for ident in ids:
            for product in products:
                statements.append(VexStatement(str(ident), product, state,
                                               analysis.get("justification"), where))
    return statements


def _openvex(data: dict[str, Any], where: str) -> list[VexStatement]:
    statements = []
    for item in data.get("statements") or []:
        vuln = item.get("vulnerability") or {}
        names = [vuln.get("name") if isinstance(vuln, dict) else vuln,
                 *((vuln.get("aliases") or []) if isinstance(vuln, dict) else [])]
        products = [p.get("@id") if isinstance(p, dict) else p
                    for p in item.get("products") or []] or [None]
        for name in names:
            if isinstance(name, str):
                for product in products:
                    statements.append(VexStatement(name, product, str(item.get("status")),
                                                   item.get("justification"), where))
    return statements


def _csaf(data: dict[str, Any], where: str) -> list[VexStatement]:
    from stackrift.advisories.csaf import product_index

    products = product_index(data.get("product_tree"))
    statements = []
    for vuln in data.get("vulnerabilities") or []:
        cve = vuln.get("cve")
        if not isinstance(cve, str):
            continue
        for csaf_status, ids in (vuln.get("product_status") or {}).items():
            status = _CSAF_STATES.get(csaf_status)
            for product_id in ids if status else []:
                purl = products.get(product_id, (product_id, None))[1]
                statements.append(VexStatement(cve, purl or product_id, status or "", None,
                                               where))
    return statements


def load_waivers(path: Path) -> list[Waiver]:
    """A YAML file: ``waivers: [{id, reason, purl?, expires?}]``; each needs a reason."""
    from stackrift.estate.yamlsource import load_located  # YAML only for waiver files

    document = load_located(path)  # safe YAML, with a location for every value
    data = document.data
    items = data.get("waivers") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InvalidInputError.single(path, "no 'waivers' list", "waivers: [{id, reason, "
                                       "purl, expires}]")
    waivers, problems = [], []
    for index, item in enumerate(items):
        where = document.locate(("waivers", index))
        if not isinstance(item, dict):
            problems.append(Problem(where, f"waivers[{index}] is not a mapping",
                                    "{id, reason, purl, expires} with an id such as "
                                    "CVE-2021-37678"))
            continue
        if not isinstance(item.get("id"), str):
            what = "has no 'id'" if item.get("id") is None else \
                f"id {item['id']!r} is not text"
            problems.append(Problem(where, f"waivers[{index}] {what}",
                                    "a vulnerability id such as CVE-2021-37678"))
            continue
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(Problem(where, f"waivers[{index}] ({item['id']}) has no reason",
                                    "a 'reason' saying why the risk is accepted"))
            continue
        expires = item.get("expires")
        if expires is not None and not isinstance(expires, date):
            try:
                expires = date.fromisoformat(str(expires))
            except ValueError:
                problems.append(Problem(where, f"waivers[{index}].expires '{expires}' is not "
                                        "a date", "YYYY-MM-DD"))
                continue
        if not isinstance(item.get("purl"), str | None):
            problems.append(Problem(where, f"waivers[{index}].purl is not text",
                                    "a package URL such as pkg:pypi/torch"))
            continue
        waivers.append(Waiver(item["id"], item.get("purl"), reason.strip(), expires, str(path)))
    if problems:
        raise InvalidInputError(problems)
    return waivers


def apply(matches: list[Match], statements: list[VexStatement], waivers: list[Waiver],
          as_of: date) -> tuple[list[Match], list[tuple[Match, str]]]:
    """Split matches into kept (annotated with VEX status) and suppressed (with why)."""
    if not statements and not waivers:
        return list(matches), []
    kept: list[Match] = []
    suppressed: list[tuple[Match, str]] = []
    for match in matches:
        statement = next((s for s in statements if s.applies(match)
                          and s.status in SUPPRESSING), None) or \
            next((s for s in statements if s.applies(match)), None)
        if statement is not None:
            vex = {"status": statement.status, "justification": statement.justification,
                   "source": statement.source}
            match = replace(match, vex=vex)
            if statement.status in SUPPRESSING:
                suppressed.append((match, f"VEX {statement.status}"
                                   + (f" ({statement.justification})"
                                      if statement.justification else "")))
                continue
        waiver = next((w for w in waivers if w.vulnerability in match.ids
                       and (w.purl is None or _same_product(w.purl, match.target.purl,
                                                           match.target.ref))), None)
        if waiver is not None:
            if waiver.active(as_of):
                suppressed.append((match, f"waived: {waiver.reason}"
                                   + (f" (until {waiver.expires})" if waiver.expires else "")))
                continue
            match = replace(match, vex={**(match.vex or {}),
                                        "waiver_expired": waiver.expires.isoformat()
                                        if waiver.expires else None,
                                        "waiver_reason": waiver.reason})
        kept.append(match)
    return kept, suppressed
