"""JSON Schema of the JSON report (``stackrift schema report``; a copy is kept in docs/).

Written out by hand rather than generated, because the schema is a promise to the people who read
the report and every description here is part of that promise.
"""

from __future__ import annotations

import copy
from typing import Any

from stackrift.findings import Severity, SubjectKind
from stackrift.report.json_format import SCHEMA_VERSION, dumps

_SEVERITIES = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]
_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_NULLABLE_STRING = {"type": ["string", "null"]}


def _object(properties: dict[str, Any], description: str, *, closed: bool = True,
            optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties,
            "required": [k for k in properties if k not in optional],
            "additionalProperties": not closed}


_SUBJECT = _object({
    "kind": {"enum": [k.value for k in SubjectKind],
             "description": "What sort of estate object this is."},
    "id": {"type": "string", "description": "The object's id in the estate file."},
    "name": {**_NULLABLE_STRING, "description": "Its display name, when it has one."},
    "field": {**_NULLABLE_STRING, "description": "The field the finding points at, if any."},
}, "An estate object (system, component, data flow, ...).")

_CITATION = _object({
    "source": {"type": "string", "description": "Instrument or publication, e.g. 'PIPL'."},
    "section": {**_NULLABLE_STRING, "description": "Article, section or paragraph."},
    "url": {**_NULLABLE_STRING, "description": "Where the source can be read."},
    "in_force_from": {"anyOf": [_DATE, {"type": "null"}],
                      "description": "First day the cited rule applies."},
    "in_force_until": {"anyOf": [_DATE, {"type": "null"}],
                       "description": "Last day the cited rule applies."},
    "confidence": {"enum": ["verified", "unverified"],
                   "description": "'unverified' when the source is weak or second-hand."},
}, "A source for a fact, so a reader (or a lawyer) can check it.")

_LOCATION = {
    "description": "Where the finding's subject is defined in the estate file (1-based; 0 when "
                   "unknown), or null.",
    "anyOf": [_object({"file": {"type": "string"},
                       "line": {"type": "integer", "minimum": 0},
                       "column": {"type": "integer", "minimum": 0}}, "A place in a file."),
              {"type": "null"}],
}

_FINDING = _object({
    "id": {"type": "string", "description": "Stable id (analysis:rule:subject...), equal across "
                                            "runs; use it to track or waive a finding."},
    "analysis": {"type": "string", "description": "The analysis that produced the finding."},
    "rule": {"type": "string", "description": "The kind of finding, e.g. "
                                              "'entity-listed-vendor'."},
    "severity": {"enum": _SEVERITIES},
    "title": {"type": "string", "description": "One line for people."},
    "subject": _SUBJECT,
    "evidence": {"type": "object", "description": "The facts the finding rests on; keys depend "
                                                  "on the rule."},
    "recommendation": {**_NULLABLE_STRING, "description": "What to do about it."},
    "citations": {"type": "array", "items": _CITATION},
    "related": {"type": "array", "items": _SUBJECT,
                "description": "Other estate objects involved."},
    "location": _LOCATION,
}, "One conclusion of an analysis about one estate object.")

_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}

_CELL = {"type": ["string", "number", "boolean", "null"]}

_TABLE = _object({
    "title": {"type": "string"},
    "columns": {"type": "array", "items": {"type": "string"}},
    "rows": {"type": "array", "items": {"type": "array", "items": _CELL}},
}, "A table every output format draws.", closed=False)

_NUMBER_OR_NULL = {"type": ["number", "null"]}

_BAR = _object({
    "kind": {"const": "bar"},
    "title": {"type": "string"},
    "labels": {"type": "array", "items": {"type": "string"}},
    "series": {"type": "array", "items": _object({
        "name": {"type": "string"},
        "values": {"type": "array", "items": _NUMBER_OR_NULL}}, "One series, a value per label.",
        closed=False)},
    "stacked": {"type": "boolean"},
}, "A bar chart; several series side by side, or on top of each other when stacked.",
    closed=False, optional=("stacked",))

_HEATMAP = _object({
    "kind": {"const": "heatmap"},
    "title": {"type": "string"},
    "x_labels": {"type": "array", "items": {"type": "string"}},
    "y_labels": {"type": "array", "items": {"type": "string"}},
    "values": {"type": "array", "items": {"type": "array", "items": _NUMBER_OR_NULL},
               "description": "One row per y label, one value per x label."},
    "cells": {"type": "array", "items": {"type": "array", "items": _NULLABLE_STRING},
              "description": "Optional text shown in each cell instead of the value."},
}, "A grid of values (rows y_labels, columns x_labels).", closed=False, optional=("cells",))

_SUMMARY = {
    "type": "object",
    "description": "Per-analysis summary. 'tables' and 'charts' have the fixed shapes below; "
                   "any other key is analysis-specific data.",
    "properties": {
        "tables": {"type": "array", "items": _TABLE},
        # Known kinds must have their shape; other kinds may come in later versions.
        "charts": {"type": "array", "items": {
            "type": "object", "required": ["kind"],
            "allOf": [{"if": {"properties": {"kind": {"const": "bar"}}}, "then": _BAR},
                      {"if": {"properties": {"kind": {"const": "heatmap"}}},
                       "then": _HEATMAP}]}},
    },
}

_REPORT_BODY = _object({
    "schema_version": {"const": SCHEMA_VERSION},
    "tool_version": {"type": "string", "description": "StackRift version that wrote it."},
    "as_of": {**_DATE, "description": "The date the estate was assessed as of; every "
                                      "time-dependent fact is evaluated on this day."},
    "catalogue_version": {"type": "string",
                          "description": "Version of the provenance catalogue used."},
    "knowledge": {"description": "The knowledge set used (catalogue, rule packs, scenarios, "
                                 "country groups), or null when not recorded.",
                  "anyOf": [_object({
                      "version": {"type": "string", "description": "The set's version."},
                      "date": {**_DATE, "description": "The set's date."},
                      "source": {"enum": ["packaged", "installed", "directory"],
                                 "description": "Shipped with StackRift, installed by "
                                                "'knowledge update', or a folder chosen with "
                                                "--knowledge / $STACKRIFT_KNOWLEDGE."},
                      "location": {**_NULLABLE_STRING,
                                   "description": "The set's folder; null when packaged."},
                      "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                                 "description": "SHA-256 over the manifest's file table."},
                  }, "A knowledge-set stamp."), {"type": "null"}]},
    "estate": _object({
        "path": {"type": "string", "description": "The estate file as given."},
        "organisation": {"type": "string"},
        "counts": {**_COUNTS, "description": "Number of records per estate collection."},
    }, "What was assessed."),
    "findings": {"type": "array", "items": _FINDING},
    "executive_summary": _object({
        "top_risks": {"type": "array", "maxItems": 10, "items": _object({
            "severity": {"enum": _SEVERITIES},
            "sentence": {"type": "string", "description": "The risk and its first action."},
            "headline": {"type": "string", "description": "The most severe finding's title, "
                         "how many more of its kind, and the systems hit."},
            "action": {**_NULLABLE_STRING, "description": "The recommendation to act on."},
            "analysis": {"type": "string"},
            "rule": {"type": "string"},
            "finding_ids": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                            "description": "The findings this risk stands for (evidence)."},
            "systems": {"type": "array", "items": {"type": "string"},
                        "description": "Systems hit, most critical first."},
        }, "One risk: findings of one analysis and rule, grouped.")},
        "baseline": {"anyOf": [{"type": "null"}, _object({
            "source": {"type": "string", "description": "The baseline report file."},
            "added": {"type": "array", "items": {"type": "string"},
                      "description": "Finding ids new since the baseline."},
            "resolved": {"type": "array", "items": {"type": "string"},
                         "description": "Finding ids in the baseline but not now."},
            "changed": {"type": "array", "items": _object({
                "id": {"type": "string"}, "was": {"type": "string"}, "now": {"type": "string"},
            }, "A finding whose severity changed.")},
        }, "Changes since the report given with --baseline.")]},
    }, "What to do first: the top risks across all analyses, ranked by severity, the "
       "criticality of the systems hit and how many, and what changed since a baseline."),
    "summary": _object({
        "by_severity": {**_COUNTS, "description": "Findings per severity (all six keys)."},
        "by_analysis": {**_COUNTS, "description": "Findings per analysis that ran."},
        "total": {"type": "integer", "minimum": 0},
        "failing": {"type": "integer", "minimum": 0,
                    "description": "Findings at or above fail_on; non-zero means exit 1."},
        "fail_on": {"enum": _SEVERITIES},
        "unknown_severity_as": {"enum": _SEVERITIES, "description": "What a finding of unknown "
                                "severity counts as for fail_on (--unknown-severity-as)."},
    }, "Counts over all findings."),
    "analyses": {
        "type": "object",
        "description": "One entry per analysis that ran, keyed by analysis name.",
        "additionalProperties": _object({
            "title": {"type": "string"},
            "order": {"type": "integer", "minimum": 0,
                      "description": "Position of the section in the report."},
            "finding_count": {"type": "integer", "minimum": 0},
            "summary": _SUMMARY,
        }, "One analysis's section."),
    },
}, "A StackRift assessment report.", optional=("knowledge",))

_REPORT = {
    **_REPORT_BODY,
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"https://stackrift.dev/schemas/report-{SCHEMA_VERSION}.json",
    "title": "StackRift assessment report",
    "description": "Output of `stackrift assess --format json`. Keys are sorted; findings are "
                   "ordered most severe first, then by analysis and id. New keys may appear "
                   "without a schema_version change; removals and changes of meaning bump it.",
}


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) the JSON report validates against."""
    return copy.deepcopy(_REPORT)


def report_json_schema() -> str:
    """The schema as deterministic JSON text."""
    return dumps(_REPORT)
