"""How the catalogue compares vendor and product names (kept apart so that a look-up table can
use it without loading the catalogue)."""

from __future__ import annotations

import re


def norm(text: str) -> str:
    """Lower case, alphanumerics only: 'Huawei Co., Ltd.' -> 'huaweicoltd'."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


_CORPORATE_SUFFIX = re.compile(
    r"[,.]?\s+(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|gmbh|ag|sa|plc|"
    r"technologies|technology|tech|group|holdings?)\.?$",
    re.IGNORECASE,
)


def strip_suffixes(name: str) -> str:
    """'Huawei Technologies Co., Ltd.' -> 'Huawei'."""
    previous = None
    name = name.strip()
    while previous != name:
        previous = name
        name = _CORPORATE_SUFFIX.sub("", name).strip(" ,.")
    return name


def name_keys(name: str) -> tuple[str, str]:
    """The keys a name is looked up under, in order: as written, then without corporate
    suffixes."""
    return norm(name), norm(strip_suffixes(name))
