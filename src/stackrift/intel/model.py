"""Shared records of the intel package: TLP 2.0 markings, deterministic STIX ids, limits.

TLP 2.0 marking definitions are the ones the OASIS CTI TC publishes (the same UUIDs FIRST's TLP 2.0
levels use across OASIS specifications); StackRift never mints its own marking ids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from stackrift.enums import RankedStrEnum
from stackrift.findings import Citation

# Namespace of every StackRift STIX id (uuid5 of a stable key, then shaped as the UUIDv4 that
# STIX 2.1 asks of SDO/SRO ids): re-exporting the same findings gives the same ids.
STACKRIFT_NAMESPACE = uuid.UUID("6f1d2b0e-5c3a-5e7f-9a41-3d8c2b7e4f10")
# Cyber-observable ids are uuid5 in the namespace STIX 2.1 fixes for them (section 2.9).
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_SOURCE = Citation(
    source="OASIS CTI TC, STIX 2.1 TLP 2.0 marking definitions (cti-stix-common-objects)",
    section="objects/marking-definition; extension-definition-specifications/tlp-2.0",
    url="https://github.com/oasis-open/cti-stix-common-objects/tree/main/"
        "extension-definition-specifications/tlp-2.0",
    in_force_from=date(2022, 10, 1), checked_on=date(2026, 12, 4))
TLP_STANDARD = Citation(
    source="FIRST Traffic Light Protocol (TLP) version 2.0", section="TLP labels and their usage",
    url="https://www.first.org/tlp/", in_force_from=date(2022, 8, 1), checked_on=date(2026, 12, 4),
    confidence="unverified",
    unverified_reason="the FIRST page was not reached on 2026-12-04; the labels' sharing limits "
    "are taken from the OASIS marking objects' names and the widely reproduced FIRST text")


class Tlp(RankedStrEnum):
    """TLP 2.0 levels, least to most restrictive."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"


    @property
    def marking_id(self) -> str:
        return _TLP_IDS[self]

    @property
    def label(self) -> str:
        return f"TLP:{self.value.upper()}"

    def marking_definition(self) -> dict[str, Any]:
        """The marking-definition object exactly as OASIS publishes it."""
        return {"type": "marking-definition", "spec_version": "2.1", "id": self.marking_id,
                "created": "2022-10-01T00:00:00.000Z", "name": self.label,
                "extensions": {TLP_EXTENSION: {"extension_type": "property-extension",
                                               "tlp_2_0": self.value}}}


_TLP_IDS = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_BY_MARKING = {marking: level for level, marking in _TLP_IDS.items()}


def stix_id(kind: str, *key: str) -> str:
    """A deterministic SDO/SRO id: uuid5 of the stable key, with the version nibble of UUIDv4 (the
    form STIX 2.1 and its validator ask for), so re-exports keep their ids."""
    digest = uuid.uuid5(STACKRIFT_NAMESPACE, "\x1f".join((kind, *key)))
    return f"{kind}--{uuid.UUID(bytes=digest.bytes, version=4)}"


def sco_id(kind: str, *key: str) -> str:
    """A deterministic cyber-observable id (uuid5 in the STIX SCO namespace)."""
    return f"{kind}--{uuid.uuid5(SCO_NAMESPACE, chr(31).join((kind, *key)))}"


@dataclass(frozen=True)
class Caveat:
    """Something not looked at or not decided, said in every output that depends on it."""

    what: str
    why: str

    def __str__(self) -> str:
        return f"{self.what}: {self.why}"
