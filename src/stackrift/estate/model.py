"""The estate: what a user describes once (organisation, entities, sites, systems, flows).

Records are frozen pydantic models that forbid unknown keys, so a typo in an estate file is an error
rather than a silently ignored field.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from stackrift.crypto.model import CryptoBlock, FlowCryptoBlock, SiteCryptoBlock


def _iso_country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return code


CountryCode = Annotated[str, AfterValidator(_iso_country)]
"""An ISO 3166-1 alpha-2 code, normalised to upper case."""

Identifier = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]*$")
]


class Record(BaseModel):
    """Base of every estate record: immutable, and unknown keys are errors."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, use_enum_values=False,
        defer_build=True,
    )


class Bloc(StrEnum):
    """Technology bloc a country belongs to for the purposes of this tool."""

    US = "us"
    CN = "cn"
    EU = "eu"
    OTHER = "other"
    UNKNOWN = "unknown"


class Relationship(StrEnum):
    """How a legal entity relates to the organisation."""

    GROUP = "group"  # owned or controlled by the organisation (headquarters, subsidiary, JV)
    VENDOR = "vendor"
    CUSTOMER = "customer"
    PARTNER = "partner"


class Owner(Record):
    """A stakeholder other than the parent (e.g. a joint-venture partner or a state fund)."""

    name: str
    country: CountryCode
    percent: float = Field(ge=0, le=100)
    state_owned: bool = False


class Entity(Record):
    id: Identifier
    name: str
    country: CountryCode
    relationship: Relationship = Relationship.GROUP
    parent: Identifier | None = None
    ownership_pct: float | None = Field(
        default=None, ge=0, le=100, description="The parent's stake in this entity, percent."
    )
    other_owners: tuple[Owner, ...] = ()
    ciio: bool = Field(
        default=False, description="A China critical-information-infrastructure operator."
    )
    data_broker: bool = False
    dpf_certified: bool = Field(
        default=False, description="Certified under the EU-US Data Privacy Framework."
    )
    significant_data_fiduciary: bool = Field(
        default=False, description="India DPDP Act s.10 designation."
    )


class SiteKind(StrEnum):
    CLOUD_REGION = "cloud_region"
    ON_PREM = "on_prem"
    COLOCATION = "colocation"


class Site(Record):
    id: Identifier
    name: str
    kind: SiteKind
    country: CountryCode
    provider: str | None = Field(
        default=None, description="Cloud provider (catalogue vendor name)."
    )
    region: str | None = Field(
        default=None, description="Provider's region code, e.g. cn-hangzhou."
    )
    operator: str | None = Field(
        default=None, description="Local operator when it differs from the brand."
    )
    entity: Identifier | None = Field(
        default=None, description="The group entity running this site."
    )
    free_trade_zone: str | None = None
    cost_factor: float | None = Field(default=None, gt=0, description="Planning: multiplier on a "
                                      "system's annual cost when it runs here (default 1).")
    crypto: SiteCryptoBlock | None = Field(
        default=None,
        description="Cryptography defaults for every system at this site (protocols, suites, "
        "groups, signature schemes, module validations, CBOMs, certificates, regime facts); a "
        "system's own crypto block overrides it key by key.",
    )


class ComponentType(StrEnum):
    ACCELERATOR = "accelerator"
    DRIVER = "driver"
    RUNTIME = "runtime"
    FRAMEWORK = "framework"
    LIBRARY = "library"
    MODEL = "model"
    DATASET = "dataset"
    CLOUD_SERVICE = "cloud_service"
    APPLICATION = "application"
    FIRMWARE = "firmware"
    OPERATING_SYSTEM = "operating_system"
    CRYPTOGRAPHIC_ASSET = "cryptographic_asset"
    OTHER = "other"


class LineageRelation(StrEnum):
    FINETUNE = "finetune"
    QUANTIZED = "quantized"
    ADAPTER = "adapter"
    MERGE = "merge"
    DISTILLATION = "distillation"


class Hash(Record):
    alg: str
    value: str


class Component(Record):
    id: Identifier
    type: ComponentType
    name: str
    vendor: str | None = None
    product: str | None = None
    version: str | None = None
    purl: str | None = None
    cpe: str | None = None
    hf_id: str | None = Field(
        default=None, description="Hugging Face repository id, e.g. Qwen/Qwen2.5-7B."
    )
    base_models: tuple[str, ...] = Field(
        default=(), description="Component ids or Hugging Face ids."
    )
    base_model_relation: LineageRelation | None = None
    supplier_country: CountryCode | None = None
    license: str | None = None
    hashes: tuple[Hash, ...] = ()
    quantity: int | None = Field(default=None, ge=0)
    description: str | None = None


class Criticality(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def weight(self) -> int:
        return {"low": 1, "medium": 2, "high": 3, "critical": 4}[self.value]


class AIActRisk(StrEnum):
    PROHIBITED = "prohibited"
    HIGH = "high"
    LIMITED = "limited"
    MINIMAL = "minimal"
    GPAI = "gpai"
    NOT_IN_SCOPE = "not_in_scope"
    UNKNOWN = "unknown"


class AIRole(StrEnum):
    """The owner's role towards an AI system (AI Act vocabulary)."""

    PROVIDER = "provider"
    DEPLOYER = "deployer"
    IMPORTER = "importer"
    DISTRIBUTOR = "distributor"


class HighRiskRoute(StrEnum):
    """Why a system is high-risk under the AI Act: an Annex III use or an Annex I product."""

    ANNEX_III = "annex_iii"
    ANNEX_I = "annex_i"


class System(Record):
    id: Identifier
    name: str
    purpose: str
    owner: Identifier | None = Field(default=None, description="Owning entity id.")
    site: Identifier | None = None
    criticality: Criticality = Criticality.MEDIUM
    users_countries: tuple[CountryCode, ...] = ()
    ai_act_risk: AIActRisk = AIActRisk.UNKNOWN
    public_facing: bool = False
    generative: bool = False
    components: tuple[Identifier, ...] = ()
    sboms: tuple[str, ...] = Field(
        default=(), description="SBOM files, relative to the estate file."
    )
    annual_cost: float | None = Field(default=None, ge=0, description="Run cost, any one currency.")
    allowed_sites: tuple[Identifier, ...] = Field(default=(), description="Planning: sites this "
                                                  "system may run at; empty means any site.")
    allowed_accelerators: tuple[str, ...] = Field(default=(), description="Planning: catalogue "
                                                  "product ids or names this system may run on; "
                                                  "empty means its accelerator's substitutes.")
    export_licences: tuple[str, ...] = Field(default=(), description="Ids of catalogue export "
                                             "controls (e.g. ear-3a090-d5) for which the owner "
                                             "holds a licence covering this system.")
    training_compute_ops: float | None = Field(
        default=None,
        ge=0,
        description="Operations used to train the model this system develops, if it trains one "
        "(AI Act Art 51, 31 CFR 850 and EAR 4E091 thresholds are stated in these).",
    )
    user_data: tuple[DataCategory, ...] | None = Field(
        default=None,
        description="Categories of its users' data the system receives and returns (implied "
        "flows between users_countries and its site); default personal. An empty list says its "
        "users send it no data.",
    )
    user_data_mechanisms: tuple[Mechanism, ...] = Field(
        default=(),
        description="Transfer mechanisms in place for its users' data (the implied flows).",
    )
    crypto: CryptoBlock | None = Field(
        default=None,
        description="The cryptography the system offers (protocols, suites, groups, signature "
        "schemes, module validations, CBOMs, certificates, probe results) and the facts crypto "
        "regimes test; a dual-stack gateway lists its faces. Not assessed when absent.",
    )
    # Facts for certification obligations; absent means unknown (never "no"), so an obligation
    # that depends on one is reported undetermined rather than not applicable.
    ai_roles: tuple[AIRole, ...] | None = Field(
        default=None, description="The owner's roles towards the system (AI Act: provider, "
        "deployer, importer, distributor).")
    high_risk_route: HighRiskRoute | None = Field(
        default=None, description="For an AI Act high-risk system: annex_iii (stand-alone use) "
        "or annex_i (product safety component).")
    interacts_with_people: bool | None = Field(
        default=None, description="Whether people interact with the system directly.")
    opinion_influence: bool | None = Field(
        default=None, description="Whether the service has public-opinion attributes or social "
        "mobilisation capacity (China's filing and security assessment duties).")
    federal: bool | None = Field(
        default=None, description="Whether it is a US federal information system.")
    cii: bool | None = Field(
        default=None, description="Whether it is critical information infrastructure.")
    sector: str | None = Field(default=None, description="Business sector, e.g. finance.")
    mlps_level: int | None = Field(
        default=None, ge=1, le=5, description="China MLPS 2.0 grading level (1-5).")
    adopted_frameworks: tuple[str, ...] | None = Field(
        default=None, description="Ids of voluntary frameworks the owner adopted for this "
        "system (e.g. iso-iec-42001); an empty list says none.")
    gpai_provider: bool | None = Field(
        default=None, description="Whether the owner provides the general-purpose AI model in "
        "this system (AI Act Arts 53 and 55).")
    high_impact: bool | None = Field(
        default=None, description="Whether it is 'high-impact AI' under Korea's AI Basic Act "
        "(significant effect on life, safety or fundamental rights in the listed areas).")
    frontier_compute: bool | None = Field(
        default=None, description="Whether its training compute is at or above a law's frontier "
        "threshold (Korea's AI Basic Act Art 32).")
    recommender: bool | None = Field(
        default=None, description="Whether it recommends, ranks, selects or filters content or "
        "offers for its users (China's algorithm recommendation provisions).")
    consequential_decisions: bool | None = Field(
        default=None, description="Whether it makes, or is a substantial factor in, "
        "consequential decisions about people (employment, credit, housing, insurance, "
        "education, health care, legal or government services; Colorado's AI law).")


class DataCategory(StrEnum):
    NON_PERSONAL = "non_personal"
    PERSONAL = "personal"
    SENSITIVE_PERSONAL = "sensitive_personal"
    IMPORTANT_DATA = "important_data"
    EMPLOYEE_HR = "employee_hr"
    COVERED_PERSONAL_IDENTIFIERS = "covered_personal_identifiers"
    PRECISE_GEOLOCATION = "precise_geolocation"
    BIOMETRIC = "biometric"
    HEALTH = "health"
    FINANCIAL = "financial"
    HUMAN_OMIC = "human_omic"
    HUMAN_GENOMIC = "human_genomic"
    GOVERNMENT_RELATED = "government_related"
    PAYMENT = "payment"


class TransferKind(StrEnum):
    INTRA_GROUP = "intra_group"
    VENDOR_AGREEMENT = "vendor_agreement"
    EMPLOYMENT_AGREEMENT = "employment_agreement"
    INVESTMENT_AGREEMENT = "investment_agreement"
    DATA_BROKERAGE = "data_brokerage"
    CONTRACT_WITH_INDIVIDUAL = "contract_with_individual"


class Mechanism(StrEnum):
    SCC = "scc"
    DPF = "dpf"
    BCR = "bcr"
    TIA = "tia"
    CAC_SECURITY_ASSESSMENT = "cac_security_assessment"
    CAC_STANDARD_CONTRACT = "cac_standard_contract"
    CAC_CERTIFICATION = "cac_certification"
    PIPIA = "pipia"
    SEPARATE_CONSENT = "separate_consent"
    CONSENT = "consent"
    CISA_SECURITY_REQUIREMENTS = "cisa_security_requirements"
    ONWARD_TRANSFER_BAN = "onward_transfer_ban"
    DOJ_LICENSE = "doj_license"
    EXPORT_LICENSE = "export_license"
    ANONYMISATION = "anonymisation"
    TRANSFER_IMPACT_FILING = "transfer_impact_filing"
    SAUDI_SCC = "saudi_scc"
    MLAT = "mlat"
    PRC_APPROVAL = "prc_approval"
    RETURN_WITHIN_24H = "return_within_24h"


class DataFlow(Record):
    id: Identifier
    name: str | None = None
    source: Identifier = Field(alias="from", description="Site or entity id the data leaves.")
    destination: Identifier = Field(alias="to", description="Site or entity id the data reaches.")
    recipient: Identifier | None = Field(
        default=None, description="Entity receiving the data, if not the destination itself."
    )
    system: Identifier | None = None
    data_categories: tuple[DataCategory, ...] = Field(min_length=1)
    subjects: int | None = Field(default=None, ge=0, description="Distinct individuals concerned.")
    devices: int | None = Field(
        default=None, ge=0, description="Distinct devices (precise geolocation)."
    )
    subjects_countries: tuple[CountryCode, ...] = ()
    purpose: str | None = None
    transfer_kind: TransferKind = TransferKind.INTRA_GROUP
    mechanisms: tuple[Mechanism, ...] = ()
    start: date | None = Field(default=None, description="When the flow began.")
    end: date | None = Field(default=None, description="When it ended; open when absent.")
    government_request: bool = Field(
        default=False,
        description="Access serves a foreign authority's demand (court order, law enforcement).",
    )
    anonymised: bool = False
    initial_collection: bool | None = Field(
        default=None,
        description="The flow carries data at its collection straight into the destination's "
        "database (the primary database), rather than moving data already recorded elsewhere. "
        "Decides localisation laws such as 152-FZ Art 18(5); unknown when absent.",
    )
    on_ftz_negative_list: bool | None = Field(
        default=None,
        description="For data leaving a Chinese pilot free-trade zone: whether the data is on "
        "the zone's negative list (CAC 2024 Provisions Art 6). Unknown when absent.",
    )
    peer_system: Identifier | None = Field(
        default=None,
        description="The system at the other end of the flow from `system`: the crypto "
        "analysis checks that the two can agree on a suite both ends' regimes accept.",
    )
    crypto_gateway: Identifier | None = Field(
        default=None,
        description="A system (with `crypto.gateway_faces`) that terminates the flow's "
        "cryptography between `system` and `peer_system`.",
    )
    crypto: FlowCryptoBlock | None = Field(
        default=None,
        description="What the flow's connection actually uses: each non-empty list pins it "
        "(an end that offers none of the pinned values cannot carry the flow); module "
        "validations of the module protecting the flow at both ends.",
    )


class Organisation(Record):
    name: str
    hq_country: CountryCode


class Estate(Record):
    """The whole estate file."""

    schema_version: int = Field(default=1, ge=1, le=1)
    organisation: Organisation
    entities: tuple[Entity, ...] = ()
    sites: tuple[Site, ...] = ()
    components: tuple[Component, ...] = ()
    systems: tuple[System, ...] = ()
    data_flows: tuple[DataFlow, ...] = ()

    def entity(self, entity_id: str) -> Entity | None:
        return next((e for e in self.entities if e.id == entity_id), None)

    def site(self, site_id: str) -> Site | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def component(self, component_id: str) -> Component | None:
        return next((c for c in self.components if c.id == component_id), None)

    def system(self, system_id: str) -> System | None:
        return next((s for s in self.systems if s.id == system_id), None)
