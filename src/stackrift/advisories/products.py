"""Product resolver: free product text (CNVD/CNNVD) to a product key and a version constraint.

``Google TensorFlow <2.6.0`` becomes key ``google tensorflow`` with constraint ``<2.6.0``. Keys are
mapped to package identities by the store, from the catalogue (vendor + product names and purls)
and from mappings learned where a text record and a package record share a CVE.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from stackrift.advisories.matching import UnparseableVersionError

_FULLWIDTH = str.maketrans({"，": ",", "＜": "<", "＞": ">", "＝": "=", "≤": "<=", "≥": ">=",
                            "（": "(", "）": ")", "：": ":", "、": ","})
_PART = re.compile(r"^(<=|>=|<|>|==|=)?\s*v?([0-9][0-9A-Za-z.\-_+*]*)$", re.IGNORECASE)
_BEFORE_INCL = ("及之前", "及以前", "及以下", "及更早", "以及之前", "或更早")
_BEFORE = ("之前", "以前", "以下", "早期")
_TO = re.compile(r"\s*(?:版本)?\s*[至到]\s*(?=v?\d)")


@dataclass(frozen=True, slots=True)
class Clause:
    """One comparison: ``op`` is ``<``, ``<=``, ``>``, ``>=``, ``==`` or ``prefix`` (``2.4.*``)."""

    op: str
    version: str


@dataclass(frozen=True, slots=True)
class ProductText:
    """A parsed product string."""

    key: str
    clauses: tuple[Clause, ...]
    text: str

    @property
    def constrained(self) -> bool:
        return bool(self.clauses)


_PUNCTUATION = re.compile(r"[^\w.+-]+")


def product_key(name: str) -> str:
    """Lower-case words, punctuation dropped: the join key between text and package names."""
    return " ".join(_PUNCTUATION.sub(" ", name.lower()).split())


_SPLIT = re.compile(r"\s+(?=[<>=]|[vV]?\d)")


def _split(text: str) -> tuple[str, str]:
    """(name, version expression): the expression starts at the first later word that begins
    with a comparison or a digit."""
    # every character _FULLWIDTH maps is non-ASCII, and translate() is slow: skip it for ASCII
    clean = (text if text.isascii() else text.translate(_FULLWIDTH)).strip()
    match = _SPLIT.search(clean)
    return (clean[:match.start()], clean[match.end():]) if match else (clean, "")


# An import meets ~10^5 distinct product strings, two in three mentions repeating one met
# shortly before: a small cache catches nearly all of those without holding them all.
@lru_cache(maxsize=4096)
def text_key(text: str) -> str:
    """Only the key of a product string (the store indexes every product by it)."""
    return product_key(_split(text)[0])


@lru_cache(maxsize=65536)
def parse_product(text: str) -> ProductText:
    """Split product text into a key (vendor and product words) and version clauses.

    Version expressions start at the first word beginning with a comparison or a digit; commas
    separate clauses (all must hold). Chinese suffixes 之前 / 及之前 mean ``<`` / ``<=``.
    Anything that does not parse leaves the product unconstrained (it then never matches by
    version, see :func:`satisfies`).
    """
    name, rest = _split(text)
    clauses: list[Clause] = []
    if rest:
        # ">=2.5版本至3.0": 至/到 ("to") closes a range
        rest, ranged = _TO.subn(",<=", rest)
        inclusive = any(s in rest for s in _BEFORE_INCL)
        before = inclusive or any(s in rest for s in _BEFORE)
        for chunk in re.split(r"[,;]|\s+and\s+", re.sub(r"[\u4e00-\u9fff]+", " ", rest)):
            part = chunk.strip().replace(" ", "")
            if not part:
                continue
            match = _PART.match(part)
            if match is None:
                return ProductText(product_key(name), (), text)
            op, version = match.group(1) or "", match.group(2).rstrip(".-")
            if version.endswith("*"):
                clauses.append(Clause("prefix", version.rstrip("*").rstrip(".")))
                continue
            if not op and ranged and not clauses:
                op = ">="  # the start of "A至B"
            elif not op:
                op = ("<=" if inclusive else "<") if before else "=="
            clauses.append(Clause("==" if op == "=" else op, version))
    return ProductText(product_key(name), tuple(clauses), text)


def satisfies(version: str, clauses: tuple[Clause, ...], key: Callable[[str], Any]) -> bool | None:
    """Whether ``version`` meets every clause under the ordering ``key``; None if undecidable.

    Several ``==``/``prefix`` clauses list alternatives (any may hold); comparisons must all hold
    as well (``23.*, <23.3`` is 23.0 up to 23.3).
    """
    if not clauses:
        return None
    try:
        target = key(version)
        exact = [c for c in clauses if c.op in ("==", "prefix")]
        if exact and not any(
                target == key(c.version) if c.op == "==" else
                (version == c.version or version.startswith(c.version + ".")) for c in exact):
            return False
        for clause in clauses:
            if clause.op in ("==", "prefix"):
                continue
            bound = key(clause.version)
            ok = {"<": target < bound, "<=": target <= bound, ">": target > bound,
                  ">=": target >= bound}[clause.op]
            if not ok:
                return False
        return True
    except UnparseableVersionError:
        return None


# -- package coordinates to product keys (Maven, npm) ---------------------------------------------

# Vendors as CNVD and CPE name them, for group-id prefixes whose owner the coordinates do not
# spell out. Longest prefix wins; each entry is how the texts name that vendor.
MAVEN_VENDORS: dict[str, tuple[str, ...]] = {
    "org.keycloak": ("red hat", "redhat"),
    "org.jboss": ("red hat", "redhat"),
    "io.undertow": ("red hat", "redhat"),
    "org.wildfly": ("red hat", "redhat"),
    "org.infinispan": ("red hat", "redhat"),
    "org.hibernate": ("red hat", "redhat"),
    "io.quarkus": ("red hat", "redhat"),
    "org.apache": ("apache", "apache software foundation", "the apache software foundation"),
    "org.springframework": ("pivotal software", "vmware", "pivotal", "spring"),
    "org.bouncycastle": ("bouncy castle", "legion of the bouncy castle"),
    "io.netty": ("netty", "the netty project"),
    "com.fasterxml": ("fasterxml",),
    "org.eclipse": ("eclipse", "eclipse foundation"),
    "com.google": ("google",),
    "org.yaml": ("snakeyaml", "snakeyaml project"),
    "ch.qos.logback": ("qos.ch", "logback"),
    "org.slf4j": ("qos.ch", "slf4j"),
}
# Product names for group ids (exactly these groups) whose artifacts do not carry the product's
# name; org.wildfly.security.elytron-web is a separate project from org.wildfly.security's Elytron.
MAVEN_PRODUCTS: dict[str, tuple[str, ...]] = {
    "org.springframework": ("spring framework",),
    "org.springframework.security": ("spring security",),
    "org.springframework.boot": ("spring boot",),
    "org.wildfly.security": ("wildfly elytron",),
    "org.apache.tomcat": ("tomcat",),
    "org.apache.tomcat.embed": ("tomcat",),
    "org.eclipse.jetty": ("jetty",),
    "org.eclipse.jetty.websocket": ("jetty",),
    "org.eclipse.jetty.http2": ("jetty",),
    "org.bouncycastle": ("bouncy castle", "bouncy castle jce provider"),
}
# group-id segments that name a part, not a product ("org.wildfly.core", "org.apache.tomcat.embed")
_GENERIC_SEGMENTS = frozenset({
    "core", "api", "apis", "server", "client", "clients", "common", "commons", "embed", "spi",
    "impl", "security", "web", "util", "utils", "tools", "plugins", "plugin", "extension",
    "extensions", "spec", "specs", "testsuite", "example", "demo", "parent", "module", "modules",
    "javax", "jakarta", "maven", "com", "org", "net", "io", "de", "ch"})
# artifact names that start with a brand rather than the product they version ("wildfly-elytron"
# is not WildFly 1.11; "spring-data-commons" is not the Spring Framework)
_UMBRELLAS = frozenset({"wildfly", "jboss", "spring", "apache", "eclipse", "google", "jakarta",
                        "javax", "maven", "commons", "integration", "example", "quarkus"})
# a driver of a server product is not the server ("org.mariadb.jdbc:mariadb-java-client")
_DRIVER_PARTS = frozenset({"jdbc", "driver", "connector", "odbc"})


def _longest_prefix(table: dict[str, tuple[str, ...]], group: str) -> tuple[str, ...]:
    best = ""
    for prefix in table:
        if (group == prefix or group.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return table.get(best, ()) if best else ()


def _maven_names(group: str, artifact: str) -> tuple[set[str], set[str]]:
    """(vendor names, product names) a Maven coordinate may be written as in product text."""
    segments = [s for s in group.lower().split(".") if s]
    vendors = set(_longest_prefix(MAVEN_VENDORS, group.lower()))
    if len(segments) >= 2 and segments[1] not in _GENERIC_SEGMENTS:
        vendors.add(segments[1])  # org.apache.* -> apache, io.netty -> netty
    products = {artifact.lower(), *MAVEN_PRODUCTS.get(group.lower(), ())}
    parts = artifact.lower().split("-")
    head = parts[0]
    # keycloak-services -> keycloak, tomcat-embed-core -> tomcat: a project's own modules (the
    # group names the project) are versioned as the product; "undertow-server" of
    # org.wildfly.security.elytron-web is not Undertow
    if (len(head) >= 3 and head in segments and head not in _GENERIC_SEGMENTS
            and head not in _UMBRELLAS and not _DRIVER_PARTS & {*parts, *segments}):
        products.add(head)
    return vendors, products


def _npm_names(name: str) -> tuple[set[str], set[str]]:
    scope, _, bare = name.lower().rpartition("/")
    scope = scope.lstrip("@")
    products = {bare, bare.removesuffix(".js"), bare.removesuffix("js")} - {""}
    vendors = {bare, f"{bare}_project", f"{bare}js", "node.js", "nodejs"}
    if scope:
        vendors.add(scope)
        products.add(f"{scope} {bare}")
    return vendors, products


def coordinate_keys(ecosystem: str, name: str) -> frozenset[str]:
    """Product keys a Maven (``group:artifact``) or npm package may appear under in free product
    text (CNVD, CNNVD) or CPE-style vendor/product names: vendor + product, the vendor written
    twice (``Red Hat Red Hat Undertow``), and the product named as its own vendor
    (``infinispan infinispan``). Empty for other ecosystems."""
    if ecosystem not in ("Maven", "npm"):
        return _NO_KEYS  # nothing to remember: a large SBOM's other packages would fill a cache
    return _coordinate_keys(ecosystem, name)


_NO_KEYS: frozenset[str] = frozenset()


@lru_cache(maxsize=65536)
def _coordinate_keys(ecosystem: str, name: str) -> frozenset[str]:
    if ecosystem == "Maven" and ":" in name:
        group, artifact = name.split(":", 1)
        vendors, products = _maven_names(group, artifact)
    elif ecosystem == "npm":
        vendors, products = _npm_names(name)
    else:
        return frozenset()
    keys = set()
    for product in products:
        keys.add(product_key(f"{product} {product}"))
        for vendor in vendors:
            keys.add(product_key(f"{vendor} {product}"))
            keys.add(product_key(f"{vendor} {vendor} {product}"))
    return frozenset(k for k in keys if k)
