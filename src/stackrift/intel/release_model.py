"""The release-pack format: what may cross a border in a threat-intel bundle, as data.

A pack is one YAML file like a transfer-rule pack (``stackrift.rules``): named conditions, and rules
with a condition over named facts, a citation, in-force dates and a confidence. A release rule
selects STIX objects by type (``objects``) or personal-data properties by kind (``properties``)
and says what happens to them: ``keep``, ``transform`` (with a named transform), ``remove`` (the
property) or ``withhold`` (the object). Conditions are the transfer rules' conditions, evaluated by
the same three-valued code; the facts are the transfer engine's flow facts where they mean the same
thing (``origin_country``, ``destination_country``, ``cross_border``, ``recipient_name``,
``recipient_in_group``) plus facts of the object itself. Nothing here is legal advice.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from stackrift.enums import RankedStrEnum
from stackrift.estate.model import Identifier
from stackrift.findings import Citation
from stackrift.rules.model import Condition, Confidence, InForce, PackRecord


class Action(RankedStrEnum):
    """What a rule does to an object or property; later members are stricter."""

    KEEP = "keep"
    TRANSFORM = "transform"
    REMOVE = "remove"
    WITHHOLD = "withhold"



class PropertyKind(StrEnum):
    """Kinds of personal data found in observables and indicator patterns."""

    IPV4 = "ipv4"
    IPV6 = "ipv6"
    EMAIL = "email"
    USER_NAME = "user_name"
    HOSTNAME = "hostname"


Transform = Literal["truncate_ip", "drop"]

RELEASE_FACTS: dict[str, str] = {
    # the transfer engine's flow facts, same names and meaning
    "origin_country": "str", "destination_country": "str", "cross_border": "bool",
    "recipient_name": "str", "recipient_in_group": "bool",
    # the transfer engine's verdict on the estate flow the release travels on (intel release
    # --estate/--flow): true when that flow is lawful, unknown when no flow is named
    "transfer_lawful": "bool",
    # facts of the release and of each object
    "recipient_in_community": "bool", "recipient_is_product_provider": "bool",
    "object_type": "str", "tlp": "str", "vulnerability_public": "bool", "vendor_country": "str",
    "property_kind": "str",
}


class ReleaseRule(PackRecord, InForce):
    """One release rule."""

    id: Identifier
    title: str = Field(min_length=1)
    regime: str | None = None
    objects: tuple[str, ...] = Field(default=(), description="STIX types ('*': any type).")
    properties: tuple[PropertyKind, ...] = Field(default=(), description="Personal-data kinds.")
    when: Condition
    action: Action
    transform: Transform | None = None
    obligations: tuple[str, ...] = ()
    deadlines: tuple[str, ...] = ()
    explanation: str | None = None
    citation: Citation
    in_force_from: date
    in_force_until: date | None = None
    confidence: Confidence

    @model_validator(mode="after")
    def _consistent(self) -> ReleaseRule:
        if bool(self.objects) == bool(self.properties):
            raise ValueError("a release rule selects either objects or properties (exactly one)")
        if (self.action is Action.TRANSFORM) != (self.transform is not None):
            raise ValueError("'transform' names the transform of a transform rule, and only then")
        if self.objects and self.action in (Action.TRANSFORM, Action.REMOVE):
            raise ValueError("object rules keep or withhold; transform and remove are for "
                             "properties")
        if self.in_force_until is not None and self.in_force_until < self.in_force_from:
            raise ValueError("in_force_until is before in_force_from")
        return self


class ReleasePack(PackRecord):
    """One release-pack file."""

    pack: Identifier
    title: str
    regime: str
    version: str
    description: str | None = None
    conditions: dict[str, Condition] = Field(default_factory=dict)
    rules: tuple[ReleaseRule, ...] = ()
