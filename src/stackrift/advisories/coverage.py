"""Ecosystem gap analytics over the whole store: who knows which vulnerability, and how late.

For every group: the sources that know it and each source's earliest publication date. Reported:
groups per source, pairwise overlaps, groups known to one source only, Western-only vs
Chinese-only, and for groups known to both sides the publication-lag distribution in days
(median, p75, p90) in each direction. Dates are compared at day precision.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from itertools import combinations
from typing import Any

from stackrift.advisories.interface import AdvisoryReader
from stackrift.advisories.matcher import CHINESE, WESTERN
from stackrift.advisories.model import FIRST_DATE
from stackrift.advisories.scan import percentiles


def _day(text: str | None) -> date | None:
    if not text or len(text) < 10:
        return None
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return None
    return day if text >= FIRST_DATE else None  # else a placeholder


def coverage(store: AdvisoryReader) -> dict[str, Any]:
    """The ``db coverage --json`` document."""
    first: dict[str, dict[str, date | None]] = defaultdict(dict)
    for group_id, source, published in store.published_dates():
        day = _day(published)
        known = first[group_id]
        previous = known.get(source)
        if source not in known or (day and (previous is None or day < previous)):
            known[source] = day
    per_source: Counter[str] = Counter()
    only: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    sides: Counter[str] = Counter()
    lags: list[int] = []
    pair_lags: dict[str, list[int]] = defaultdict(list)
    for known in first.values():
        sources = sorted(known)
        per_source.update(sources)
        if len(sources) == 1:
            only[sources[0]] += 1
        for a, b in combinations(sources, 2):
            pairs[f"{a}+{b}"] += 1
            day_a, day_b = known[a], known[b]
            if day_a and day_b:
                pair_lags[f"{a}->{b}"].append((day_b - day_a).days)
        west = [d for s, d in known.items() if s in WESTERN and d]
        china = [d for s, d in known.items() if s in CHINESE and d]
        has_west = any(s in WESTERN for s in sources)
        has_china = any(s in CHINESE for s in sources)
        sides["both" if has_west and has_china else "western_only" if has_west
              else "chinese_only" if has_china else "other"] += 1
        if west and china:
            lags.append((min(china) - min(west)).days)
    return {
        "groups_total": len(first),
        "groups_by_source": dict(sorted(per_source.items())),
        "pairwise_overlap": dict(sorted(pairs.items())),
        "only_in_source": dict(sorted(only.items())),
        "sides": {k: sides[k] for k in ("both", "western_only", "chinese_only", "other")},
        "lag_days": {
            "pairs": len(lags),
            "chinese_later": percentiles([x for x in lags if x > 0]),
            "western_later": percentiles([-x for x in lags if x < 0]),
            "same_day": sum(1 for x in lags if x == 0),
            "by_source_pair": {pair: {"n": len(values), "median_days": percentiles(values)
                                      ["median"]}
                               for pair, values in sorted(pair_lags.items())},
        },
        "note": "lag = first Chinese publication minus first Western publication, in days; "
                "CNVD dates are openTime, OSV dates are 'published'",
    }
