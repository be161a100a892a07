"""Records of the provenance catalogue: vendors, products, cloud regions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from stackrift.estate.model import Bloc, CountryCode
from stackrift.findings import Citation

EU_MEMBERS = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)
CHINA_BLOC = frozenset({"CN", "HK", "MO"})  # US export and data rules treat HK and Macau with China


def bloc_of(country: str | None) -> Bloc:
    """The bloc a country belongs to; unknown when the country is."""
    if country is None:
        return Bloc.UNKNOWN
    if country == "US":
        return Bloc.US
    if country in CHINA_BLOC:
        return Bloc.CN
    if country in EU_MEMBERS:
        return Bloc.EU
    return Bloc.OTHER


class CatalogRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Layer(StrEnum):
    """The stack layer a product sits in; concentration and provenance are computed per layer."""

    ACCELERATOR = "accelerator"
    RUNTIME = "runtime"
    FRAMEWORK = "framework"
    MODEL = "model"
    CLOUD = "cloud"
    DATASET = "dataset"
    LIBRARY = "library"


class StackLayer(StrEnum):
    """The layers of an AI system's stack, as concentration, planning and provenance see them.

    Provenance reports ``accelerator`` as "hardware" and ``model`` as "model weights"
    (:func:`stackrift.analyses.provenance.layer_label`); ``country`` is the planner's layer of
    hosting countries, ``other`` what fits no layer.
    """

    ACCELERATOR = "accelerator"
    RUNTIME = "runtime"
    FRAMEWORK = "framework"
    MODEL = "model"
    CLOUD = "cloud"
    COUNTRY = "country"
    OTHER = "other"


class EntityListStatus(CatalogRecord):
    """US Entity List (15 CFR 744 Supp. 4) status as of the catalogue's date."""

    listed: bool
    since: date | None = None
    citation: Citation | None = None
    note: str | None = None

    def listed_on(self, as_of: date) -> bool:
        """Whether the listing was in force on ``as_of`` (a listing dated later does not count).

        A listing without a known date counts as in force: the catalogue says it is listed.
        """
        return self.listed and (self.since is None or self.since <= as_of)

    def describe(self, as_of: date, catalogue_as_of: date) -> str:
        """Human wording; never 'safe' for an unlisted vendor."""
        if self.listed_on(as_of):
            return f"on the US Entity List since {self.since}" if self.since else "listed"
        if self.listed and self.since is not None:
            return f"not listed as of {as_of} (listed from {self.since})"
        return f"not listed as of {min(as_of, catalogue_as_of)}"


class ListStatus(CatalogRecord):
    """A vendor's status on a dated government list other than the Entity List.

    Used for the US Department of Defense Section 1260H list of Chinese military companies and
    China's Unreliable Entity List. ``since`` unknown means "listed, date not recorded": the
    listing then counts on every date (failing closed); ``until`` is the removal date.
    """

    listed: bool
    since: date | None = None
    until: date | None = None
    citation: Citation | None = None
    note: str | None = None

    def listed_on(self, as_of: date) -> bool:
        """Whether the listing was in force on ``as_of``."""
        if not self.listed:
            return False
        if self.since is not None and as_of < self.since:
            return False
        return self.until is None or as_of < self.until


class ReviewPolicy(CatalogRecord):
    """How licence applications under a control are reviewed from a date, for some destinations.

    The licence requirement itself is unchanged by a review policy: a licence is still needed.
    """

    in_force_from: date
    destinations: tuple[str, ...]
    policy: str = Field(description="e.g. 'presumption of denial', 'case-by-case'.")
    conditions: str | None = None
    citation: Citation


class ExportControl(CatalogRecord):
    """A named export-control requirement that catches a product (not derived from its vendor)."""

    id: str
    regime: str = "EAR"
    eccn: str | None = None
    description: str
    destinations: tuple[str, ...] = Field(
        description="Country groups (D:1, D:4, D:5) or ISO codes."
    )
    licence_required_from: date | None = None
    licence_required_until: date | None = None
    headquarters_destinations: tuple[str, ...] = Field(
        default=(),
        description="The licence is also required for end users headquartered in (or with an "
        "ultimate parent headquartered in) these groups or countries, wherever the item goes.",
    )
    review_policies: tuple[ReviewPolicy, ...] = ()
    citation: Citation

    def review_policy_on(self, country: str, as_of: date,
                         in_group: Callable[[str, str, date], bool]) -> ReviewPolicy | None:
        """The latest review policy in force on ``as_of`` whose destinations cover ``country``.

        ``in_group(entry, country, as_of)`` says whether a destination entry (a Country Group or
        ISO code) covers the country on that date.
        """
        found = [p for p in self.review_policies if p.in_force_from <= as_of
                 and any(in_group(entry, country, as_of) for entry in p.destinations)]
        return max(found, key=lambda p: p.in_force_from) if found else None


class CloudOffer(CatalogRecord):
    """A cloud provider renting a product out, in the listed regions (empty: not recorded)."""

    provider: str = Field(description="Vendor id of the cloud provider.")
    regions: tuple[str, ...] = Field(default=(), description="Region codes; empty: unrecorded.")


class Availability(CatalogRecord):
    """How a product can be obtained: bought as hardware, rented from which clouds.

    ``hardware`` null means not recorded. ``clouds_exhaustive`` says the listed clouds are the
    only ones offering it (e.g. a provider's own chips); otherwise other clouds are unknown.
    """

    hardware: bool | None = Field(default=None, description="Sold as hardware (cards, servers) "
                                  "for on-premises or colocation sites.")
    clouds: tuple[CloudOffer, ...] = ()
    clouds_exhaustive: bool = False
    citation: Citation

    @property
    def cloud_only(self) -> bool:
        return self.hardware is False


class Vendor(CatalogRecord):
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    country: CountryCode | None = Field(description="Headquarters country; null when unknown.")
    parent: str | None = None
    hf_orgs: tuple[str, ...] = ()
    purl_namespaces: tuple[str, ...] = Field(
        default=(), description="purl prefixes, e.g. 'pkg:maven/com.huawei'."
    )
    cpe_vendors: tuple[str, ...] = ()
    entity_list: EntityListStatus
    military_company_1260h: ListStatus | None = Field(
        default=None,
        description="US DoD list of Chinese military companies (FY2021 NDAA s.1260H); "
        "null means not checked.",
    )
    unreliable_entity_list: ListStatus | None = Field(
        default=None,
        description="China's Unreliable Entity List (MOFCOM); null means not checked.",
    )
    as_of: date
    confidence: Literal["verified", "unverified"] = "verified"
    sources: tuple[Citation, ...] = ()
    notes: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def bloc(self) -> Bloc:
        return bloc_of(self.country)


class Product(CatalogRecord):
    id: str
    vendor: str
    name: str
    layer: Layer
    aliases: tuple[str, ...] = ()
    purls: tuple[str, ...] = Field(
        default=(), description="purl prefixes without version, e.g. 'pkg:pypi/torch'."
    )
    cpe_products: tuple[str, ...] = ()
    hf_repo_prefixes: tuple[str, ...] = Field(default=(), description="e.g. 'Qwen/Qwen2.5'.")
    equivalence_class: str | None = Field(
        default=None,
        description="Products in one class can substitute for each other, e.g. 'dc-training-gpu'.",
    )
    requires: tuple[str, ...] = Field(
        default=(), description="Product ids this one needs, e.g. a GPU needs its runtime."
    )
    controls: tuple[ExportControl, ...] = ()
    tpp: float | None = Field(default=None, description="Total processing performance (EAR 3A090).")
    open_weights: bool | None = None
    licence: str | None = None
    availability: Availability | None = Field(
        default=None, description="How the product is obtained; null when not recorded.")
    notes: str | None = None
    confidence: Literal["verified", "unverified"] = "verified"
    sources: tuple[Citation, ...] = ()


class CloudRegion(CatalogRecord):
    provider: str = Field(description="Vendor id of the cloud provider.")
    code: str
    name: str | None = None
    country: CountryCode
    operator: str | None = Field(default=None, description="Local operator when not the provider.")
    operator_country: CountryCode | None = None
    confidence: Literal["verified", "unverified"] = "verified"
    citation: Citation | None = Field(
        default=None, description="The provider's published region list naming its location.")


class Suspension(CatalogRecord):
    """A period during which a measure in force is not applied (``until`` is exclusive)."""

    start: date
    until: date | None = Field(default=None, description="First day applied again; null: open.")
    citation: Citation


class MeasureStatus(StrEnum):
    NOT_YET = "not yet in force"
    IN_FORCE = "in force"
    SUSPENDED = "suspended"
    ENDED = "no longer in force"


class TradeMeasure(CatalogRecord):
    """A dated export-control measure that bears on the AI supply chain but on no single product.

    Examples: China's controls on gallium, germanium, antimony and rare earths; BIS rules on
    foundries and high-bandwidth memory. Status is computed for an as-of date, suspensions
    included.
    """

    id: str
    authority: str = Field(description="Issuing body, e.g. 'US BIS' or 'PRC MOFCOM and GAC'.")
    country: CountryCode = Field(description="Country imposing the measure.")
    title: str
    description: str
    items: tuple[str, ...] = Field(default=(), description="What is controlled, in words.")
    in_force_from: date
    in_force_until: date | None = None
    suspensions: tuple[Suspension, ...] = ()
    confidence: Literal["verified", "unverified"] = "verified"
    citation: Citation

    def status_on(self, as_of: date) -> MeasureStatus:
        if as_of < self.in_force_from:
            return MeasureStatus.NOT_YET
        if self.in_force_until is not None and as_of >= self.in_force_until:
            return MeasureStatus.ENDED
        if any(s.start <= as_of and (s.until is None or as_of < s.until)
               for s in self.suspensions):
            return MeasureStatus.SUSPENDED
        return MeasureStatus.IN_FORCE


class CatalogueData(CatalogRecord):
    version: str
    as_of: date
    vendors: tuple[Vendor, ...]
    products: tuple[Product, ...]
    regions: tuple[CloudRegion, ...]
    measures: tuple[TradeMeasure, ...] = ()
