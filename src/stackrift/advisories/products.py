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


@lru_cache(maxsize=262144)  # an import meets ~10^5 distinct product strings
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
            if not op:
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
