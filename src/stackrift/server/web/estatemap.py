"""The estate map as inline SVG: one node per country holding the estate's sites, data flows as
lines between countries coloured and dashed by verdict, each one line per origin,
destination and verdict labelled with its number of flows; the page's table says the same in
words (so nothing is told by colour alone)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from stackrift.server.web.reportview import FlowLine

# Stroke colours with at least 4.5:1 against the white map (a test checks); each verdict also
# has its own dash pattern and its name in the legend and the table.
VERDICT_STYLES: dict[str, tuple[str, str]] = {
    "prohibited": ("#b42318", ""),
    "allowed_with": ("#8a5300", "10 5"),
    "allowed": ("#1a7f37", "2 4"),
    "undetermined": ("#57606a", "14 4 2 4"),
    "not_applicable": ("#4f5b66", "1 8"),
}
VERDICT_LABELS: dict[str, str] = {
    "prohibited": "prohibited",
    "allowed_with": "allowed with a mechanism",
    "allowed": "allowed",
    "undetermined": "undetermined",
    "not_applicable": "not applicable",
}
_SIZE = 640
_NODE_W, _NODE_H = 96, 46


@dataclass(frozen=True)
class MapEdge:
    """The flows with one origin, destination and verdict: one line on the map."""

    origin: str
    destination: str
    verdict: str
    flows: tuple[str, ...]


def map_edges(lines: Sequence[FlowLine]) -> list[MapEdge]:
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for line in lines:
        grouped.setdefault((line.origin, line.destination, line.verdict), []).append(line.flow)
    return [MapEdge(o, d, v, tuple(sorted(f))) for (o, d, v), f in sorted(grouped.items())]


def verdict_style(verdict: str) -> tuple[str, str]:
    return VERDICT_STYLES.get(verdict, VERDICT_STYLES["undetermined"])


def _positions(countries: Sequence[str]) -> dict[str, tuple[float, float]]:
    centre, radius = _SIZE / 2, _SIZE / 2 - _NODE_W
    if len(countries) == 1:
        return {countries[0]: (centre, centre)}
    step = 2 * math.pi / max(len(countries), 1)
    return {c: (centre + radius * math.sin(i * step), centre - radius * math.cos(i * step))
            for i, c in enumerate(countries)}


def _edge(edge: MapEdge, start: tuple[float, float], end: tuple[float, float],
          bend: float) -> str:
    colour, dash = verdict_style(edge.verdict)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    (x1, y1), (x2, y2) = start, end
    if start == end:  # a flow within one country: a loop above its node
        rise = 90 + 30 * abs(bend) / 52
        path = (f"M{x1 - 20:.1f},{y1 - _NODE_H / 2:.1f} C{x1 - 60:.1f},{y1 - rise:.1f} "
                f"{x1 + 60:.1f},{y1 - rise:.1f} {x1 + 20:.1f},{y1 - _NODE_H / 2:.1f}")
        label_at = (x1, y1 - _NODE_H / 2 - (rise - _NODE_H / 2) * 0.75)
    else:
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        cx, cy = mx - (y2 - y1) / length * bend, my + (x2 - x1) / length * bend
        path = f"M{x1:.1f},{y1:.1f} Q{cx:.1f},{cy:.1f} {x2:.1f},{y2:.1f}"
        label_at = ((mx + cx) / 2, (my + cy) / 2)
    verdict = VERDICT_LABELS.get(edge.verdict, edge.verdict)
    count = len(edge.flows)
    title = escape(f"{count} flow{'' if count == 1 else 's'} from {edge.origin} to "
                   f"{edge.destination}, {verdict}: {', '.join(edge.flows)}")
    return (f'<g class="flow"><title>{title}</title>'
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="3"{dash_attr} '
            f'marker-end="url(#arrow-{escape(_marker(edge.verdict))})"/>'
            f'<circle cx="{label_at[0]:.1f}" cy="{label_at[1]:.1f}" r="11" fill="#ffffff" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<text x="{label_at[0]:.1f}" y="{label_at[1] + 4:.1f}" text-anchor="middle" '
            f'font-size="12" fill="#1f2328">{count}</text></g>')


def _offset(index: int) -> float:
    """Lines between one pair of countries: straight, then curving out on either side in turn
    (far enough apart that their labels do not overlap)."""
    step = (index + 1) // 2
    return 52.0 * step * (1 if index % 2 else -1)


def _marker(verdict: str) -> str:
    return verdict if verdict in VERDICT_STYLES else "undetermined"


def _markers() -> str:
    return "".join(
        f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{colour}"/></marker>' for name, (colour, _) in VERDICT_STYLES.items())


def _node(country: str, sites: int, at: tuple[float, float]) -> str:
    x, y = at[0] - _NODE_W / 2, at[1] - _NODE_H / 2
    label = f"{sites} site" + ("" if sites == 1 else "s")
    return (f'<g class="country"><title>{escape(country)}: {label}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{_NODE_W}" height="{_NODE_H}" rx="8" '
            f'fill="#f6f8fa" stroke="#1f2328" stroke-width="1.5"/>'
            f'<text x="{at[0]:.1f}" y="{at[1] - 3:.1f}" text-anchor="middle" font-size="16" '
            f'font-weight="bold" fill="#1f2328">{escape(country)}</text>'
            f'<text x="{at[0]:.1f}" y="{at[1] + 15:.1f}" text-anchor="middle" font-size="12" '
            f'fill="#1f2328">{label}</text></g>')


def _trim(start: tuple[float, float], end: tuple[float, float]) -> tuple[float, float]:
    """Where a line towards ``end`` leaves the node box around ``end`` (the arrow's tip)."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    scale = max(abs(dx) / (_NODE_W / 2 + 4), abs(dy) / (_NODE_H / 2 + 4), 1e-9)
    return end[0] - dx / scale, end[1] - dy / scale


def estate_map(sites: Mapping[str, Sequence[object]], edges: Sequence[MapEdge]) -> Markup:
    """The SVG; ``aria-labelledby`` points at the caption the page gives it."""
    countries = sorted(set(sites) | {e.origin for e in edges} | {e.destination for e in edges})
    at = _positions(countries)
    seen: dict[tuple[str, ...], int] = {}
    drawn = []
    for edge in edges:
        key = (edge.origin, edge.destination)
        pair = tuple(sorted(key))
        index = seen[pair] = seen.get(pair, 0) + 1
        bend = _offset(index - 1) * (1 if key == pair else -1)
        start, end = at[edge.origin], at[edge.destination]
        if start != end:
            start, end = _trim(end, start), _trim(start, end)
        drawn.append(_edge(edge, start, end, bend))
    nodes = [_node(c, len(sites.get(c, ())), at[c]) for c in countries]
    svg = (f'<svg class="estate-map" role="img" aria-labelledby="map-caption" '
           f'viewBox="0 0 {_SIZE} {_SIZE}" xmlns="http://www.w3.org/2000/svg">'
           f"<defs>{_markers()}</defs>"
           f'<rect width="{_SIZE}" height="{_SIZE}" fill="#ffffff"/>'
           f'{"".join(drawn)}{"".join(nodes)}</svg>')
    return Markup(svg)  # noqa: S704 - every text drawn above was escaped


def legend_swatch(verdict: str) -> Markup:
    """A short line in the verdict's colour and dashes, beside its name in the legend."""
    colour, dash = verdict_style(verdict)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return Markup(  # noqa: S704 - constant attributes only
        f'<svg class="swatch" width="48" height="12" viewBox="0 0 48 12" aria-hidden="true">'
        f'<line x1="2" y1="6" x2="46" y2="6" stroke="{colour}" stroke-width="3"{dash_attr}/>'
        f"</svg>")
