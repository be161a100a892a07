"""Version semantics, OSV range evaluation and product-text parsing."""

from __future__ import annotations

import pytest

from stackrift.advisories.matching import (
    affects,
    in_range,
    maven_key,
    purl_identity,
    semver_key,
)
from stackrift.advisories.model import Affected, Event, Range
from stackrift.advisories.products import parse_product, satisfies


def rng(kind: str, *events: tuple[str, str]) -> Range:
    return Range(kind, tuple(Event(k, v) for k, v in events))


@pytest.mark.parametrize(("version", "expected"), [
    ("0.9", True), ("1.0rc1", True), ("1.0", False), ("1.0.post1", False), ("2.0", True),
    ("2.5", True), ("2.5.1", False), ("3.0", False),
])
def test_pep440_ranges_with_last_affected(version: str, expected: bool) -> None:
    r = rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "1.0"), ("introduced", "2.0"),
            ("last_affected", "2.5"))
    assert in_range(version, r, "PyPI") is expected


def test_semver_prerelease_and_v_prefix() -> None:
    r = rng("SEMVER", ("introduced", "1.2.0"), ("fixed", "1.4.0"))
    assert in_range("1.3.9", r, "Go") is True
    assert in_range("v1.4.0-rc.1", r, "Go") is True  # pre-release sorts before the release
    assert in_range("1.4.0", r, "Go") is False
    assert semver_key("1.0.0-alpha.1") < semver_key("1.0.0-alpha.beta") < semver_key("1.0.0")


def test_limit_event_bounds_the_range() -> None:
    r = rng("ECOSYSTEM", ("introduced", "0"), ("limit", "2.0"))
    assert in_range("1.5", r, "PyPI") is True
    assert in_range("2.1", r, "PyPI") is False


def test_maven_ordering() -> None:
    assert maven_key("1.0-alpha1") < maven_key("1.0-beta") < maven_key("1.0-rc1") < \
        maven_key("1.0") == maven_key("1.0.0") < maven_key("1.0-sp1") < maven_key("1.0.1")
    r = rng("ECOSYSTEM", ("introduced", "2.0"), ("fixed", "2.15.0"))
    assert in_range("2.14.1", r, "Maven") is True
    assert in_range("2.15.0", r, "Maven") is False


def test_listed_versions_and_undecidable() -> None:
    a = Affected(ecosystem="PyPI", name="x", versions=("1.0", "0.7.10p1"))
    assert affects(a, "0.7.10p1") is True  # listed: affected even though not PEP 440
    assert affects(a, "1.0.0") is True  # PEP 440 equality
    assert affects(a, "2.0") is False
    assert affects(Affected(ecosystem="PyPI", name="x"), "1.0") is None
    git = Affected(ecosystem="PyPI", name="x", ranges=(rng("GIT", ("introduced", "abc")),))
    assert affects(git, "1.0") is None


def test_purl_identity_per_ecosystem() -> None:
    assert purl_identity("pkg:pypi/Torch_NPU@2.1.0") == ("PyPI", "torch-npu", "2.1.0")
    assert purl_identity("pkg:golang/github.com/gin-gonic/gin@v1.5.0") == \
        ("Go", "github.com/gin-gonic/gin", "1.5.0")
    assert purl_identity("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1") == \
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1")
    assert purl_identity("pkg:npm/%40angular/core@1.0.0") == ("npm", "@angular/core", "1.0.0")
    assert purl_identity("not-a-purl") is None


@pytest.mark.parametrize(("purl", "expected"), [
    ("pkg:pypi/name@1.0#sub/path?x", ("PyPI", "name", "1.0")),
    ("pkg:pypi/name?repository_url=https://x/@y#sub", ("PyPI", "name", None)),
    ("pkg:pypi/name@1.0?a=b#c", ("PyPI", "name", "1.0")),
    ("pkg://pypi//Name_X@v1.0", ("PyPI", "name-x", "v1.0")),
    ("pkg:golang/github.com/a/b/@v1.2", ("Go", "github.com/a/b", "1.2")),
    ("pkg:npm/%40scope/%2Fodd@1.0%2B2", ("npm", "@scope//odd", "1.0+2")),
    ("pkg:maven/org.x/art", ("Maven", "org.x:art", None)),
    ("pkg:pypi/", None), ("pkg:pypi", None), ("pkg:/name@1", None),
    ("pkg:GitHub/actions/checkout@v4", ("GitHub Actions", "actions/checkout", "v4")),
])
def test_purl_identity_of_unusual_purls(purl: str, expected: tuple[str, str, str | None] | None
                                        ) -> None:
    """Subpaths, qualifiers, empty segments, percent-encoding, names without a version."""
    assert purl_identity(purl) == expected


@pytest.mark.parametrize(("text", "key", "version", "expected"), [
    ("Google TensorFlow <2.6.0", "google tensorflow", "2.4.0", True),
    ("Google TensorFlow <2.6.0", "google tensorflow", "2.6.0", False),
    ("Google TensorFlow 2.4.2", "google tensorflow", "2.4.0", False),
    ("Google TensorFlow 2.4.2", "google tensorflow", "2.4.2", True),
    ("Pexip Pexip Infinity 23.*，<23.3", "pexip pexip infinity", "23.1", True),
    ("Pexip Pexip Infinity 23.*，<23.3", "pexip pexip infinity", "22.9", False),
    ("Huawei MindSpore Community >=1.0.0，<1.3.0", "huawei mindspore community", "1.2.0", True),
    ("Huawei MindSpore Community >=1.0.0，<1.3.0", "huawei mindspore community", "0.9", False),
    ("Foo Bar 2.4.0及之前版本", "foo bar", "2.4.0", True),
    ("Foo Bar 2.4.0之前版本", "foo bar", "2.4.0", False),
])
def test_product_text(text: str, key: str, version: str, expected: bool) -> None:
    from packaging.version import Version

    parsed = parse_product(text)
    assert parsed.key == key
    assert satisfies(version, parsed.clauses, Version) is expected


def test_unconstrained_product_never_matches_by_version() -> None:
    parsed = parse_product("Google TensorFlow")
    assert parsed.key == "google tensorflow" and not parsed.constrained
    assert satisfies("2.4.0", parsed.clauses, str) is None


def test_coordinate_keys_for_maven_and_npm() -> None:
    from stackrift.advisories.products import coordinate_keys

    keycloak = coordinate_keys("Maven", "org.keycloak:keycloak-services")
    assert {"red hat keycloak", "redhat keycloak", "red hat red hat keycloak"} <= keycloak
    tomcat = coordinate_keys("Maven", "org.apache.tomcat.embed:tomcat-embed-core")
    assert "apache tomcat" in tomcat
    # an integration named after another project is not that project
    assert "red hat undertow" not in coordinate_keys(
        "Maven", "org.wildfly.security.elytron-web:undertow-server")
    assert "red hat wildfly elytron" not in coordinate_keys(
        "Maven", "org.wildfly.security.elytron-web:undertow-server")
    # a driver is not the server it connects to
    assert "mariadb mariadb" not in coordinate_keys("Maven", "org.mariadb.jdbc:mariadb-java-client")
    assert {"minimist minimist", "lodash lodash"} <= (coordinate_keys("npm", "minimist")
                                                     | coordinate_keys("npm", "lodash"))
    assert coordinate_keys("PyPI", "torch") == frozenset()


def test_chinese_to_range_in_product_text() -> None:
    from stackrift.advisories.matching import maven_key

    parsed = parse_product("Red Hat keycloak >=2.5版本至3.0")
    assert [(c.op, c.version) for c in parsed.clauses] == [(">=", "2.5"), ("<=", "3.0")]
    assert satisfies("10.0.2", parsed.clauses, maven_key) is False
    assert satisfies("2.5.1", parsed.clauses, maven_key) is True
    bare = parse_product("Foo Bar 2.0至2.4.1版本")
    assert [(c.op, c.version) for c in bare.clauses] == [(">=", "2.0"), ("<=", "2.4.1")]
