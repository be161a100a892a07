"""The intel commands' work, callable without the command line: each function takes paths and
plain values and returns documents; the CLI only parses options and writes what comes back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from stackrift.intel.model import Caveat, Tlp


def _json(document: Any) -> str:
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n"


def document_text(bundle: dict[str, Any], fmt: str, info: str, day: date) -> str:
    """A bundle as STIX JSON or as a MISP event."""
    if fmt == "misp":
        from stackrift.intel.misp_out import misp_event

        return _json(misp_event(bundle, info, day))
    from stackrift.intel.stix_out import bundle_text

    return bundle_text(bundle)


def export(source: Path, fmt: str, tlp: Tlp, as_of: date, db: Path | str | None
           ) -> tuple[str, tuple[Caveat, ...]]:
    """``intel export``: the document and what it could not include."""
    from stackrift.intel.sources import is_report, load_estate_source, load_report
    from stackrift.intel.stix_out import export_bundle

    loaded = load_report(source) if is_report(source) else load_estate_source(source, as_of, db)
    bundle = export_bundle(loaded, tlp)
    text = document_text(bundle, fmt, f"StackRift findings for {loaded.organisation}",
                         loaded.as_of)
    return text, loaded.caveats


@dataclass(frozen=True)
class ReleaseRequest:
    """Where a bundle goes and what is known about the recipient."""

    origin: str
    destination: str
    as_of: date
    recipient: str | None = None
    in_group: bool | None = None
    in_community: bool | None = None
    product_provider: bool | None = None
    transfer_lawful: bool | None = None
    estate: Path | None = None
    flow: str | None = None
    packs: tuple[Path, ...] = ()


def release(bundle_path: Path, request: ReleaseRequest, fmt: str) -> tuple[str, dict[str, Any]]:
    """``intel release``: the releasable document and the release record."""
    from stackrift.errors import UsageError
    from stackrift.intel.bundles import read_bundle
    from stackrift.intel.release import Destination, flow_basis, load_release_rules
    from stackrift.intel.release_bundle import release as release_bundle

    lawful, basis = request.transfer_lawful, None
    if (request.estate is None) != (request.flow is None):
        raise UsageError("--estate and --flow go together: the flow whose transfer verdict "
                         "decides whether personal data may go")
    if request.estate is not None and request.flow is not None:
        if lawful is not None:
            raise UsageError("give either --transfer-lawful/--transfer-unlawful or "
                             "--estate/--flow, not both")
        basis = flow_basis(request.estate, request.flow, request.as_of)
        lawful = basis.lawful
    destination = Destination(
        request.origin.upper(), request.destination.upper(), request.as_of, request.recipient,
        request.in_group, request.in_community, request.product_provider, lawful)
    outcome = release_bundle(read_bundle(bundle_path), destination,
                             load_release_rules(request.packs), str(bundle_path))
    record = outcome.record
    if basis is not None:
        record["transfer_basis"] = {"flow": basis.flow_id, "verdict": basis.verdict,
                                    "lawful": basis.lawful, "rules_fired": list(basis.rules_fired)}
    text = document_text(outcome.bundle, fmt, f"Released to {destination.destination_country}",
                         request.as_of)
    return text, record


def read_bundles(paths: list[Path]) -> list[tuple[str, dict[str, Any]]]:
    """Partner bundles, each checked."""
    from stackrift.intel.bundles import read_bundle

    return [(str(p), read_bundle(p)) for p in paths]


def sightings(bundles: list[Path], logs: list[Path], strict: bool, log_format: str | None
              ) -> dict[str, Any]:
    """``intel sightings``: local matches per indicator (nothing leaves the machine)."""
    from stackrift.intel.matching import indicators_from, match_logs

    indicators = indicators_from(read_bundles(bundles))
    result = match_logs(indicators, logs, strict=strict, fmt=log_format)
    return {"indicators": len(indicators.ids),
            "matched": [{"indicator": i, "name": indicators.names.get(i, i), "count": c}
                        for i, c in sorted(result.counts.items())],
            "files": [{"path": f.source, "lines": f.lines, "events": f.events,
                       "unreadable": f.unreadable, "first_problems": [str(p) for p in f.problems]}
                      for f in result.files],
            "caveats": [str(c) for c in result.caveats]}


def digest(bundles: list[Path], key_file: Path, community: str, request: ReleaseRequest, *,
           algorithm: str = "hmac-sha256", false_positive_rate: float = 1e-6
           ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``intel digest``: the message, the local state and the audit record; refused (nothing
    written) when the release rules keep the digests home. ``algorithm``: ``hmac-sha256`` or
    ``bloom`` (sized for ``false_positive_rate``)."""
    from stackrift.errors import UsageError
    from stackrift.intel.matching import indicators_from
    from stackrift.intel.release import Destination, load_release_rules
    from stackrift.intel.sovereign import audit_record, load_key, make_digest, release_digest

    destination = Destination(request.origin.upper(), request.destination.upper(),
                              request.as_of, request.recipient,
                              transfer_lawful=request.transfer_lawful)
    allowed, cited, decision = release_digest(destination, load_release_rules(request.packs))
    if not allowed:
        missing = ", ".join(decision["missing_facts"]) or "none"
        raise UsageError(f"the digests may not go to {destination.destination_country}: "
                         f"{', '.join(decision['rules'])} (missing facts: {missing}); nothing "
                         "was written")
    indicators = indicators_from(read_bundles(bundles))
    message, state = make_digest(indicators, load_key(key_file), community,
                                 algorithm=algorithm, false_positive_rate=false_positive_rate)
    document = message.to_json()
    audit = audit_record("digest", document, as_of=request.as_of.isoformat(),
                         direction=f"{destination.origin_country}->"
                         f"{destination.destination_country}", rules=cited,
                         local={"indicators": len(indicators.ids), "digests": decision,
                                "algorithm": message.algorithm,
                                **({"false_match_rate": state["false_match_rate"]}
                                   if "false_match_rate" in state else {}),
                                "not_sent": state["not_sent"],
                                "kept": ["indicator values", "reference table (state)",
                                         "community key"]})
    return document, state, audit


def match(digest_path: Path, logs: list[Path], key_file: Path, request: ReleaseRequest,
          strict: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """``intel match``: the answer the release rules allow and the audit record."""
    from stackrift.intel.release import Destination, load_release_rules
    from stackrift.intel.sovereign import (
        audit_record,
        load_key,
        match_digest,
        read_digest,
        release_counts,
    )

    message = read_digest(digest_path)
    counts, files = match_digest(message, load_key(key_file), logs, strict=strict)
    destination = Destination(request.origin.upper(), request.destination.upper(),
                              request.as_of, request.recipient,
                              transfer_lawful=request.transfer_lawful)
    answer, cited, local = release_counts(message, counts, files, destination,
                                          load_release_rules(request.packs))
    document = answer.to_json()
    audit = audit_record("match", document, as_of=request.as_of.isoformat(),
                         direction=f"{destination.origin_country}->"
                         f"{destination.destination_country}", rules=cited, local=local)
    return document, audit


def reveal(match_path: Path, state_path: Path, as_of: date
           ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``intel reveal``: matched indicators with counts, and the audit record of what came in."""
    from stackrift.boundedio import read_bounded
    from stackrift.errors import InvalidInputError
    from stackrift.intel.sovereign import audit_record, read_match
    from stackrift.intel.sovereign import reveal as reveal_refs

    answer = read_match(match_path)
    try:
        state = orjson.loads(read_bounded(state_path, 256 << 20))
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError.single(state_path, f"not JSON ({exc})",
                                       "the state file intel digest wrote") from None
    if not isinstance(state, dict) or state.get("kind") != "stackrift-digest-state":
        raise InvalidInputError.single(state_path, "not a digest state file",
                                       "the state file intel digest wrote")
    found = reveal_refs(state, answer)
    result = {"kind": "stackrift-reveal", "version": 1, "released": answer.released,
              "unreadable_lines_reported": answer.unreadable_lines, "matched": found}
    audit = audit_record("reveal", None, as_of=as_of.isoformat(), direction="in",
                         rules=[], local={"received": answer.to_json()["kind"],
                                          "matched": len(found)})
    return result, audit


def rule_rows(packs: tuple[Path, ...] = ()) -> list[dict[str, Any]]:
    """``intel rules``: every release rule with its selector, action, source and dates."""
    from stackrift.intel.release import load_release_rules

    loaded = load_release_rules(packs)
    rows = []
    for rule in sorted(loaded.rules, key=lambda r: r.id):
        cited = rule.cited()
        rows.append({
            "id": rule.id, "regime": loaded.regime_of(rule), "title": rule.title,
            "selects": ", ".join(rule.objects) or ", ".join(k.value for k in rule.properties),
            "action": rule.action.value + (f" ({rule.transform})" if rule.transform else ""),
            "source": str(cited), "url": cited.url, "checked_on": cited.checked_on,
            "in_force_from": rule.in_force_from, "in_force_until": rule.in_force_until,
            "confidence": rule.confidence.value, "unverified_reason": cited.unverified_reason,
            "obligations": list(rule.obligations), "deadlines": list(rule.deadlines)})
    return rows
