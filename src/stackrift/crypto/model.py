"""Typed records of the crypto package: the algorithm and TLS registries, regime rules, the
cryptographic inventory, and the optional ``crypto`` block of an estate.

Enumerations mirror the CycloneDX 1.6 CBOM vocabulary (``cryptoProperties``) so that inventory
read from a CBOM and inventory written back to one use the same words.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stackrift.findings import Citation


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


# --- CycloneDX CBOM vocabulary -----------------------------------------------------------------

class AssetType(StrEnum):
    """``cryptoProperties.assetType``."""

    ALGORITHM = "algorithm"
    CERTIFICATE = "certificate"
    PROTOCOL = "protocol"
    RELATED_CRYPTO_MATERIAL = "related-crypto-material"


class Primitive(StrEnum):
    """``algorithmProperties.primitive``."""

    DRBG = "drbg"
    MAC = "mac"
    BLOCK_CIPHER = "block-cipher"
    STREAM_CIPHER = "stream-cipher"
    SIGNATURE = "signature"
    HASH = "hash"
    PKE = "pke"
    XOF = "xof"
    KDF = "kdf"
    KEY_AGREE = "key-agree"
    KEM = "kem"
    AE = "ae"
    COMBINER = "combiner"
    OTHER = "other"
    UNKNOWN = "unknown"


class CryptoFunction(StrEnum):
    """``algorithmProperties.cryptoFunctions`` items."""

    GENERATE = "generate"
    KEYGEN = "keygen"
    ENCRYPT = "encrypt"
    DECRYPT = "decrypt"
    DIGEST = "digest"
    TAG = "tag"
    KEYDERIVE = "keyderive"
    SIGN = "sign"
    VERIFY = "verify"
    ENCAPSULATE = "encapsulate"
    DECAPSULATE = "decapsulate"
    OTHER = "other"
    UNKNOWN = "unknown"


class ProtocolType(StrEnum):
    """``protocolProperties.type``; ``tlcp`` is not in CycloneDX 1.6 and is written as ``other``
    with the name kept."""

    TLS = "tls"
    SSH = "ssh"
    IPSEC = "ipsec"
    IKE = "ike"
    SSTP = "sstp"
    WPA = "wpa"
    TLCP = "tlcp"
    OTHER = "other"
    UNKNOWN = "unknown"


class MaterialType(StrEnum):
    """``relatedCryptoMaterialProperties.type``."""

    PRIVATE_KEY = "private-key"
    PUBLIC_KEY = "public-key"
    SECRET_KEY = "secret-key"  # noqa: S105 - a CycloneDX vocabulary word
    KEY = "key"
    CIPHERTEXT = "ciphertext"
    SIGNATURE = "signature"
    DIGEST = "digest"
    INITIALIZATION_VECTOR = "initialization-vector"
    NONCE = "nonce"
    SEED = "seed"
    SALT = "salt"
    SHARED_SECRET = "shared-secret"  # noqa: S105 - a CycloneDX vocabulary word
    TAG = "tag"
    ADDITIONAL_DATA = "additional-data"
    PASSWORD = "password"  # noqa: S105 - a CycloneDX vocabulary word, not a secret
    CREDENTIAL = "credential"
    TOKEN = "token"  # noqa: S105 - a CycloneDX vocabulary word, not a secret
    OTHER = "other"
    UNKNOWN = "unknown"


# --- our own fixed value sets --------------------------------------------------------------------

class ProtocolVersion(StrEnum):
    """Protocol versions the registry and the probe know, ordered oldest first per family."""

    SSL3 = "ssl3"
    TLS1_0 = "tls1.0"
    TLS1_1 = "tls1.1"
    TLS1_2 = "tls1.2"
    TLS1_3 = "tls1.3"
    TLCP1_1 = "tlcp1.1"  # GB/T 38636-2020, wire version 0x0101


class Confidence(StrEnum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"


class Effect(StrEnum):
    """What a regime rule does to the cryptography it selects."""

    REQUIRE = "require"      # every selected component must satisfy the requirement
    FORBID = "forbid"        # the selection is not acceptable
    DEPRECATE = "deprecate"  # still acceptable, with a deadline: reported, not blocking


class Role(StrEnum):
    """The role an algorithm plays in a negotiated configuration."""

    KEY_EXCHANGE = "key_exchange"
    AUTHENTICATION = "authentication"
    CIPHER = "cipher"
    HASH = "hash"


class ValidationScheme(StrEnum):
    """Kinds of module or product validation an endpoint can declare."""

    FIPS_140_2 = "fips-140-2"
    FIPS_140_3 = "fips-140-3"
    CN_COMMERCIAL_CRYPTO = "cn-commercial-crypto"  # 商用密码产品认证证书
    RU_FSB = "ru-fsb"  # FSB certificate for a cryptographic means (СКЗИ)
    COMMON_CRITERIA = "common-criteria"
    OTHER = "other"


# --- registry -------------------------------------------------------------------------------------

class StandardRef(Frozen):
    """A standard that defines an algorithm, a suite or a code point."""

    name: str
    url: str | None = None


class Algorithm(Frozen):
    """One algorithm (or parameter set) every inventory entry is normalised to."""

    id: str = Field(description="Stable registry id, e.g. 'aes-256-gcm', 'sm2-with-sm3'.")
    name: str
    aliases: tuple[str, ...] = ()
    oids: tuple[str, ...] = ()
    family: str = Field(description="Family regime rules select on, e.g. 'AES', 'SM4', 'RSA'.")
    primitive: Primitive
    classical_security_bits: int | None = Field(
        default=None, description="Classical security strength; None when it depends on the key "
        "size (see key_size_security) or is unknown.")
    key_size_security: dict[int, int] = Field(
        default_factory=dict, description="Key size in bits -> classical security strength "
        "(NIST SP 800-57 Part 1 Table 2) for families whose strength depends on the key.")
    nist_quantum_level: int | None = None
    quantum_vulnerable: bool | None = Field(
        description="True when Shor's algorithm breaks it; None when unknown.")
    standards: tuple[StandardRef, ...] = ()
    confidence: Confidence = Confidence.VERIFIED
    unverified_reason: str | None = None


class CipherSuite(Frozen):
    """One TLS or TLCP cipher suite and what it is made of. For TLS 1.3 suites, key exchange and
    authentication are negotiated separately (groups and signature schemes) and left empty."""

    name: str
    code: int = Field(ge=0, le=0xFFFF)
    versions: tuple[ProtocolVersion, ...]
    key_exchange: str | None = None
    authentication: str | None = None
    cipher: str
    hash: str
    standards: tuple[StandardRef, ...] = ()
    confidence: Confidence = Confidence.VERIFIED
    unverified_reason: str | None = None


class NamedGroup(Frozen):
    """A TLS ``supported_groups`` code point and the key-exchange algorithm behind it."""

    name: str
    code: int = Field(ge=0, le=0xFFFF)
    algorithm: str
    standards: tuple[StandardRef, ...] = ()
    confidence: Confidence = Confidence.VERIFIED
    unverified_reason: str | None = None


class SignatureScheme(Frozen):
    """A TLS ``signature_algorithms`` code point and the algorithms it uses."""

    name: str
    code: int = Field(ge=0, le=0xFFFF)
    algorithms: tuple[str, ...]
    standards: tuple[StandardRef, ...] = ()
    confidence: Confidence = Confidence.VERIFIED
    unverified_reason: str | None = None


class AlgorithmRegistryFile(Frozen):
    """``packs/algorithms.yaml``."""

    version: str
    checked_on: date
    algorithms: tuple[Algorithm, ...]


class TlsRegistryFile(Frozen):
    """``packs/tls.yaml``."""

    version: str
    checked_on: date
    cipher_suites: tuple[CipherSuite, ...]
    groups: tuple[NamedGroup, ...]
    signature_schemes: tuple[SignatureScheme, ...]


# --- regimes --------------------------------------------------------------------------------------

FactName = Literal["country", "sector", "criticality", "federal", "fedramp", "nss", "cii",
                   "mlps_level", "state_system"]


class Condition(Frozen):
    """A test over the facts of one endpoint (where it runs and for whom). Exactly one of
    ``all``, ``any``, ``not`` or ``fact`` is set."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None
    not_: Condition | None = Field(default=None, alias="not")
    fact: FactName | None = None
    eq: str | int | bool | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    gte: int | None = None


class Selector(Frozen):
    """Which algorithms, suites or protocol versions a rule is about. Empty fields select
    nothing; a component is selected when any non-empty field matches it."""

    families: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = ()
    quantum_vulnerable: bool | None = None
    below_security_bits: int | None = None
    protocols: tuple[ProtocolVersion, ...] = ()
    roles: tuple[Role, ...] = Field(
        default=(), description="Restrict the selection to these roles; empty: every role.")


class Requirement(Frozen):
    """What a ``require`` rule demands of an endpoint's negotiated configuration."""

    only_families: tuple[str, ...] = Field(
        default=(), description="Every component (in ``roles``) must belong to these families.")
    roles: tuple[Role, ...] = ()
    module_validation: tuple[ValidationScheme, ...] = Field(
        default=(), description="The endpoint must declare a validation of one of these schemes.")
    protocols: tuple[ProtocolVersion, ...] = Field(
        default=(), description="The negotiated protocol must be one of these.")


class RegimeRule(Frozen):
    id: str
    title: str
    applies_when: Condition
    effect: Effect
    # model_construct(): the value Selector() gives, without building Selector's validator
    # (defer_build) at import, for every command that reads an estate (so below too)
    selects: Selector = Selector.model_construct()
    requires: Requirement = Requirement.model_construct()
    in_force_from: date | None = None
    in_force_until: date | None = None
    explanation: str | None = None
    status: Literal["in_force", "draft", "guidance"] = "in_force"
    citation: Citation


class RegimePack(Frozen):
    regime: str = Field(description="Regime code, e.g. 'CN', 'US', 'EU', 'RU'.")
    title: str
    version: str
    description: str | None = None
    rules: tuple[RegimeRule, ...]


# --- endpoint capabilities and the estate ``crypto`` block ---------------------------------------

class ModuleValidation(Frozen):
    """A validation of the cryptographic module or product an endpoint uses."""

    scheme: ValidationScheme
    certificate: str | None = Field(default=None, description="e.g. CMVP certificate number.")
    module: str | None = None
    valid_until: date | None = None


class EndpointFacts(Frozen):
    """Where an endpoint runs and for whom: what regime conditions test. Unknown stays None."""

    country: str | None = None
    sector: str | None = None
    criticality: str | None = None
    federal: bool | None = None
    fedramp: bool | None = None
    nss: bool | None = None
    cii: bool | None = None
    mlps_level: int | None = Field(default=None, ge=1, le=5)
    state_system: bool | None = None


class CryptoProfile(Frozen):
    """The optional ``crypto`` block of a system, site or flow in the estate: what it offers."""

    protocols: tuple[ProtocolVersion, ...] = ()
    cipher_suites: tuple[str, ...] = Field(default=(), description="IANA/TLCP names or 0xNNNN.")
    groups: tuple[str, ...] = ()
    signature_schemes: tuple[str, ...] = ()
    module_validations: tuple[ModuleValidation, ...] = ()
    cboms: tuple[str, ...] = Field(default=(), description="CBOM files, relative to the estate.")
    certificates: tuple[str, ...] = Field(default=(), description="PEM/DER certificate files.")


class Endpoint(Frozen):
    """One end of a flow as the engine sees it: its capabilities and its facts."""

    id: str
    name: str | None = None
    profile: CryptoProfile
    facts: EndpointFacts = EndpointFacts.model_construct()


# --- inventory ------------------------------------------------------------------------------------

class Normalised(Frozen):
    """An algorithm name/OID resolved against the registry, or why it could not be."""

    algorithm_id: str | None
    given_name: str | None = None
    given_oid: str | None = None
    key_size: int | None = None
    unknown_reason: str | None = None


class CertificateRecord(Frozen):
    """What was read from one X.509 certificate."""

    subject: str
    issuer: str
    not_before: date | None = None
    not_after: date | None = None
    signature_algorithm: Normalised
    public_key_algorithm: Normalised
    curve: str | None = None
    self_signed: bool = False
    signature_verified: bool | None = Field(
        default=None, description="True/False when checked against the issuer in the chain; "
        "None when not checked (issuer absent, or an algorithm we cannot verify).")
    verification_note: str | None = None
    sha256: str


class InventoryItem(Frozen):
    """One cryptographic asset found in a CBOM, a certificate or an estate declaration."""

    asset_type: AssetType
    name: str
    source: str = Field(description="FILE or FILE#bom-ref or FILE#certificate-N.")
    algorithm: Normalised | None = None
    protocol: ProtocolType | None = None
    protocol_version: str | None = None
    cipher_suites: tuple[str, ...] = ()
    unknown_suites: tuple[str, ...] = ()
    certificate: CertificateRecord | None = None
    material_type: MaterialType | None = None
    quantum_vulnerable: bool | None = None


# --- the estate's optional ``crypto`` block --------------------------------------------------

class CryptoFacts(Frozen):
    """Facts about a system that regime conditions test and the estate may not record
    elsewhere; the country comes from the site the system runs at. Unknown stays None."""

    sector: str | None = None
    criticality: str | None = None
    federal: bool | None = None
    fedramp: bool | None = None
    nss: bool | None = None
    cii: bool | None = None
    mlps_level: int | None = Field(default=None, ge=1, le=5)
    state_system: bool | None = None


class GatewayFace(Frozen):
    """One side of a dual-stack gateway: what it offers towards one peer."""

    towards: str = Field(description="Id of the system (or site) this face talks to.")
    profile: CryptoProfile


class CryptoBlock(CryptoProfile):
    """The optional ``crypto`` block of a system, site or flow in the estate: what it offers,
    the facts regimes test, probe results it relies on, and, for a gateway, its faces."""

    facts: CryptoFacts = CryptoFacts.model_construct()
    probes: tuple[str, ...] = Field(
        default=(), description="Endpoint JSON files written by the probe, relative to the "
        "estate; what a server was seen to accept is added to what is declared.")
    gateway_faces: tuple[GatewayFace, ...] = ()


class SiteCryptoBlock(CryptoProfile):
    """The optional ``crypto`` block of a site: defaults for every system that runs there (a
    system's own block overrides it key by key, and fact by fact)."""

    facts: CryptoFacts = CryptoFacts.model_construct()


class FlowCryptoBlock(Frozen):
    """The optional ``crypto`` block of a data flow: what the connection actually uses. Each
    non-empty list pins the flow to those values: an end that does not offer any of them
    cannot carry the flow. ``module_validations`` hold for the module protecting this flow at
    both ends (e.g. a validated VPN appliance)."""

    protocols: tuple[ProtocolVersion, ...] = ()
    cipher_suites: tuple[str, ...] = Field(default=(), description="IANA/TLCP names or 0xNNNN.")
    groups: tuple[str, ...] = ()
    signature_schemes: tuple[str, ...] = ()
    module_validations: tuple[ModuleValidation, ...] = ()

    def pins(self) -> dict[str, tuple[str, ...]]:
        """The pinned dimensions (CryptoProfile field -> values), empty lists left out."""
        return {name: tuple(str(v) for v in getattr(self, name))
                for name in ("protocols", "cipher_suites", "groups", "signature_schemes")
                if getattr(self, name)}


def effective_block(system: CryptoBlock | None, site: SiteCryptoBlock | None
                    ) -> CryptoBlock | None:
    """A system's block over its site's defaults: every key the system sets wins, the rest
    (and every fact the system leaves unset) comes from the site. ``None`` when neither
    declares anything."""
    if site is None:
        return system
    inherited = site.model_dump(exclude={"facts"}, exclude_unset=True)
    if system is None:
        return CryptoBlock.model_validate({**inherited, "facts": site.facts.model_dump(
            exclude_none=True)})
    own = system.model_dump(exclude={"facts"}, exclude_unset=True)
    facts = {**site.facts.model_dump(exclude_none=True),
             **system.facts.model_dump(exclude_none=True)}
    return CryptoBlock.model_validate({**inherited, **own, "facts": facts})


def endpoint_facts(country: str | None, facts: CryptoFacts) -> EndpointFacts:
    """The facts the engine tests, from the site's country and the block's facts."""
    return EndpointFacts(country=country, **facts.model_dump())
