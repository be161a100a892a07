"""The fixed choices a user names on the command line, owned by the library.

Kept free of heavy imports: the command line builds its options from these enums before any
analysis, renderer or reader is loaded. Tests keep each enum equal to the registry it names
(``ReportFormat`` to the renderers of :mod:`stackrift.report`, ``FeedFormat`` to the feed modules,
``BomFormat`` to the writers of :mod:`stackrift.bom.export`).
"""

from __future__ import annotations

from enum import StrEnum


class ReportFormat(StrEnum):
    """The formats of an assessment report: one renderer each in :mod:`stackrift.report`."""

    TERMINAL = "terminal"
    JSON = "json"
    MD = "md"
    HTML = "html"
    SARIF = "sarif"


class TableFormat(StrEnum):
    """Output of a command that prints tables or lists: text, JSON, or Markdown tables."""

    TERMINAL = "terminal"
    JSON = "json"
    MD = "md"


class InventoryFormat(StrEnum):
    """Output of ``crypto inventory``: the table formats, or a CycloneDX 1.6 CBOM."""

    TERMINAL = "terminal"
    JSON = "json"
    MD = "md"
    CBOM = "cbom"


class ComplianceFormat(StrEnum):
    """Output of ``compliance obligations|plan``: the table formats, an OSCAL JSON document
    (assessment results; a plan of action and milestones for ``plan``) or an XLSX workbook."""

    TERMINAL = "terminal"
    JSON = "json"
    MD = "md"
    OSCAL = "oscal"
    XLSX = "xlsx"


class SummaryFormat(StrEnum):
    """Output of a command whose result is a short summary (what was checked or written)."""

    TERMINAL = "terminal"
    JSON = "json"


class RecordFormat(StrEnum):
    """Output of a command that prints one record (a rule, an advisory group)."""

    JSON = "json"
    TERMINAL = "terminal"


class DocumentFormat(StrEnum):
    """Serialisation of a structured document (a JSON Schema, an estate)."""

    JSON = "json"
    YAML = "yaml"


class ScanFormat(StrEnum):
    """Output of ``scan``; ``terminal`` and ``table`` (its older name) are the same table."""

    TERMINAL = "terminal"
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    CYCLONEDX_VEX = "cyclonedx-vex"


class BomFormat(StrEnum):
    """The bill-of-materials formats ``bom`` writes."""

    CYCLONEDX_JSON = "cyclonedx-json"
    CYCLONEDX_XML = "cyclonedx-xml"
    SPDX3_JSONLD = "spdx3-jsonld"


class FeedFormat(StrEnum):
    """Advisory feed formats ``db import`` reads (detected per file unless forced)."""

    OSV = "osv"
    CVE5 = "cve5"
    CSAF = "csaf"
    CNVD = "cnvd"
    CNNVD = "cnnvd"


class PlanObjective(StrEnum):
    """What the planner minimises."""

    COST = "cost"
    RESILIENCE = "resilience"
    BALANCED = "balanced"


class IntelFormat(StrEnum):
    """Threat-intel documents ``intel export`` and ``intel release`` write."""

    STIX = "stix"
    MISP = "misp"


class MessageFormat(StrEnum):
    """The sovereign-matching messages (digest, match, reveal): versioned JSON only."""

    JSON = "json"


class DigestAlgorithm(StrEnum):
    """How ``intel digest`` hides indicator values (see ``stackrift.intel.sovereign``)."""

    HMAC = "hmac-sha256"
    BLOOM = "bloom"


class TlpLevel(StrEnum):
    """TLP 2.0 levels a user marks an export with (the library's ``intel.model.Tlp``)."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"
