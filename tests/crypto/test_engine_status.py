"""The engine's quick status (matrices) agrees with the full assessment of every pair."""

from __future__ import annotations

from datetime import date
from itertools import product

from stackrift.crypto.engine import Interop, universal_endpoint
from stackrift.crypto.loader import load_regimes, load_registry
from stackrift.crypto.model import CryptoProfile, Endpoint, EndpointFacts, ModuleValidation

AS_OF = date(2026, 12, 4)
FACTS = [EndpointFacts(country="CN", mlps_level=3, cii=False),
         EndpointFacts(country="US", federal=True, fedramp=True, nss=False),
         EndpointFacts(country="RU", state_system=True), EndpointFacts(country="DE"),
         EndpointFacts(country="CN")]
PROFILES = [
    CryptoProfile(cipher_suites=("TLS_SM4_GCM_SM3", "TLS_AES_128_GCM_SHA256"),
                  groups=("curveSM2", "x25519"), signature_schemes=("sm2sig_sm3", "ed25519"),
                  module_validations=(ModuleValidation(scheme="cn-commercial-crypto"),)),
    CryptoProfile(protocols=("tls1.2", "tls1.3"),
                  cipher_suites=("TLS_AES_256_GCM_SHA384",
                                 "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
                  groups=("secp384r1",), signature_schemes=("ecdsa_secp384r1_sha384",),
                  module_validations=(ModuleValidation(scheme="fips-140-3"),)),
    CryptoProfile(cipher_suites=("TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"),
                  groups=("x25519",)),
    CryptoProfile(cipher_suites=("ECC_SM4_GCM_SM3",)),
]


def test_status_equals_the_status_of_the_full_assessment_for_every_pair() -> None:
    registry = load_registry()
    quick = Interop(load_regimes(), registry, AS_OF)
    full = Interop(load_regimes(), registry, AS_OF)
    ends = [Endpoint(id=f"e{i}", profile=p, facts=f)
            for i, (p, f) in enumerate(product(PROFILES, FACTS))]
    ends += [universal_endpoint(f"u{i}", f, registry) for i, f in enumerate(FACTS)]
    seen = set()
    for a, b in product(ends, ends):
        status = quick.status(a, b)
        assert status is full.flow(a, b).status, (a.id, b.id)
        seen.add(status)
    assert len(seen) == 3, "every status occurs among these pairs"
