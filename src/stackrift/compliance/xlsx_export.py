"""Obligations as an XLSX workbook for auditors: one row per system × requirement evaluated.

Sheet ``Obligations`` has one row per system × requirement with its status (``applies``,
``future``, ``undetermined``, ``not_applicable``, ``ended``), start date, trace, missing facts,
sources and their URLs, how far declared controls meet it, and the controls of the smallest
control set that cover it (when a controls file was given). Sheet ``Plan`` lists the chosen
controls, sheet ``About`` the date, disclaimer and what was not looked at.

Cells are data, never formulas: text starting with ``=``, ``+``, ``-``, ``@`` (or a tab or
carriage return) is prefixed with an apostrophe, and characters XML cannot hold are replaced,
so an estate's text cannot run in the auditor's spreadsheet.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from stackrift.compliance.engine import ObligationStatus, ObligationVerdict
from stackrift.compliance.views import DISCLAIMER, ComplianceOutcome

COLUMNS = ("system", "framework", "requirement", "title", "status", "from", "jurisdiction",
           "kind", "why (trace)", "missing facts", "sources", "citation URLs", "controls status",
           "met by", "smallest control set")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | date | None


def safe_cell(value: Cell) -> Cell:
    """``value`` as a spreadsheet shows it, never as a formula; other types unchanged."""
    if not isinstance(value, str):
        return value
    text = str(ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _covering(outcome: ComplianceOutcome) -> dict[tuple[str, str], list[str]]:
    covering: dict[tuple[str, str], list[str]] = {}
    if outcome.plan is not None:
        for chosen in outcome.plan.joint.chosen:
            for need in chosen.discharges:
                covering.setdefault(need, []).append(chosen.control_id)
    return covering


def _row(verdict: ObligationVerdict, status: ObligationStatus | None,
         plan_controls: Sequence[str] | None) -> list[Cell]:
    urls = sorted({c.url for c in verdict.citations if c.url})
    sources = "; ".join(dict.fromkeys(
        c.source + (f", {c.section}" if c.section else "") for c in verdict.citations))
    return [verdict.system_id, verdict.framework_id, verdict.ref.split(":", 1)[1],
            verdict.title, verdict.status.value, verdict.applies_from,
            verdict.jurisdiction or "global", verdict.kind.value, "; ".join(verdict.reasons),
            ", ".join(verdict.missing) or None, sources or None, " ".join(urls) or None,
            status.status.value if status else None,
            ", ".join(status.met_by) if status and status.met_by else None,
            ", ".join(plan_controls) if plan_controls else None]


def obligation_rows(outcome: ComplianceOutcome) -> Iterable[list[Cell]]:
    """The ``Obligations`` sheet's rows (without the header), one per system × requirement."""
    statuses = {(s.verdict.system_id, s.verdict.ref): s for s in outcome.statuses or ()}
    covering = _covering(outcome)
    for verdict in outcome.verdicts:
        key = (verdict.system_id, verdict.ref)
        yield _row(verdict, statuses.get(key), covering.get(key))


def _append(sheet: Any, rows: Iterable[Sequence[Cell]]) -> None:
    for row in rows:
        sheet.append([_dated(sheet, v) if isinstance(v, date) else safe_cell(v) for v in row])


def _dated(sheet: Any, value: date) -> WriteOnlyCell:
    """A date cell shown as a date (openpyxl's default format adds a time of day)."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "yyyy-mm-dd"
    return cell


def _plan_rows(outcome: ComplianceOutcome) -> list[list[Cell]]:
    if outcome.plan is None:
        return [["no controls file given: no plan was computed"]]
    plan = outcome.plan
    rows: list[list[Cell]] = [["control", "cost", "obligations discharged", "frameworks"]]
    rows += [[c.control_id, c.cost, len(c.discharges),
              ", ".join(sorted({r.split(":", 1)[0] for _, r in c.discharges}))]
             for c in plan.joint.chosen]
    rows += [[], ["joint cost", plan.joint.cost], ["cost planned per framework",
                                                   plan.separate_cost],
             ["saving", plan.saving], ["all plans proven optimal", str(plan.all_optimal)],
             ["obligations no control covers", len(plan.joint.uncovered)],
             ["obligations undetermined (not planned)", len(plan.undetermined)]]
    return rows


def workbook(outcome: ComplianceOutcome, *, estate_name: str, as_of: date) -> bytes:
    """The workbook as XLSX bytes (written in openpyxl's streaming mode: rows are not kept)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Obligations")
    sheet.append(list(COLUMNS))
    _append(sheet, obligation_rows(outcome))
    _append(book.create_sheet("Plan"), _plan_rows(outcome))
    _append(book.create_sheet("About"), [
        ["estate", estate_name], ["as of", as_of], ["note", DISCLAIMER],
        *(["not looked at", caveat] for caveat in outcome.caveats)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
