"""Charts as inline SVG, drawn in Python so the HTML report needs no script and no network.

Every piece of text is escaped; labels come from estate files, which are user input. Each bar and
cell carries ``class``/``data-*`` attributes and a ``<title>`` (the browser's tooltip) so readers
can see exact values and tests can count what was drawn.
"""

from __future__ import annotations

import hashlib

from markupsafe import Markup, escape

from stackrift.report._view import (
    DARK_TEXT_ON,
    SEVERITY_COLOURS,
    VERDICT_COLOURS,
    VERDICT_PATTERNS,
    BarChartView,
    ChartView,
    HeatmapView,
    format_number,
)

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
WIDTH = 680
CHAR_WIDTH = 6.4  # average width of an 11px sans-serif character, for laying out labels
MAX_LABEL_CHARS = 34

# Colours with a meaning of their own: severities, and technology blocs (US blue, China red,
# EU gold, others grey) so the same bloc looks the same in every chart.
NAMED_COLOURS: dict[str, str] = {
    **SEVERITY_COLOURS,
    "us": "#3b6fb6",
    "cn": "#c8372d",
    "eu": "#e0b020",
    "other": "#7f8c8d",
    "unknown": "#c7ccd1",
    "unresolved": "#c7ccd1",
}
# Okabe-Ito palette (distinguishable with colour-vision deficiency) for everything else.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442",
           "#000000")


def series_colours(names: tuple[str, ...]) -> list[str]:
    """A colour per series: the named colour when the name has one, else the next palette one."""
    colours, next_free = [], 0
    for name in names:
        known = NAMED_COLOURS.get(name.strip().lower())
        if known:
            colours.append(known)
        else:
            colours.append(PALETTE[next_free % len(PALETTE)])
            next_free += 1
    return colours


def _short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(value: float) -> str:
    """Coordinates with at most one decimal, so output is compact and deterministic."""
    return format_number(round(value, 1))


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least ``value``."""
    if value <= 0:
        return 1.0
    power = 1.0
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _legend(names: tuple[str, ...], colours: list[str], y: float, x0: float,
            width: float) -> tuple[str, float]:
    """Legend swatches laid out left to right, wrapping; returns the markup and its height."""
    parts, x, row = [], x0, 0
    for name, colour in zip(names, colours, strict=True):
        item = 18 + len(_short(name, 24)) * CHAR_WIDTH + 14
        if x + item > width and x > x0:
            x, row = x0, row + 1
        top = y + row * 18
        parts.append(f'<g class="legend-item"><rect x="{_num(x)}" y="{_num(top)}" width="12" '
                     f'height="12" rx="2" fill="{colour}"/><text x="{_num(x + 17)}" '
                     f'y="{_num(top + 10)}">{escape(_short(name, 24))}</text></g>')
        x += item
    return "".join(parts), (row + 1) * 18


def bar_chart(chart: BarChartView, width: float = WIDTH) -> Markup:
    """A horizontal bar chart (labels can be long system names); grouped or stacked series."""
    names = tuple(s.name for s in chart.series)
    colours = series_colours(names)
    # One series whose labels all have a meaning of their own (severities, blocs): colour by label.
    by_label = (series_colours(chart.labels) if len(chart.series) == 1 and all(
        lbl.strip().lower() in NAMED_COLOURS for lbl in chart.labels) else None)
    label_width = min(MAX_LABEL_CHARS, max([4, *(len(lbl) for lbl in chart.labels)])) * CHAR_WIDTH
    left, right, top = label_width + 14, 56, 8
    plot = width - left - right
    groups = 1 if chart.stacked else len(chart.series)
    bar_height = 16.0 if groups == 1 else max(7.0, 24.0 / groups)
    row_height = bar_height * groups + 8
    scale_max = _nice_ceiling(chart.maximum())

    def x_of(value: float) -> float:
        return left + plot * value / scale_max

    body: list[str] = []
    for i, label in enumerate(chart.labels):
        row_top = top + i * row_height
        body.append(f'<text class="label" x="{_num(left - 8)}" y="{_num(row_top + row_height / 2)}"'
                    f' text-anchor="end" dominant-baseline="middle">'
                    f'<title>{escape(label)}</title>{escape(_short(label))}</text>')
        offset = 0.0
        for j, series in enumerate(chart.series):
            value = series.values[i]
            y = row_top + 4 + (0 if chart.stacked else j * bar_height)
            if value is None:
                if not chart.stacked:
                    body.append(f'<text class="missing" x="{_num(left + 4)}" '
                                f'y="{_num(y + bar_height / 2)}" dominant-baseline="middle" '
                                f'fill="#57606a">unknown</text>')
                continue
            start = offset if chart.stacked else 0.0
            bar_width = x_of(start + value) - x_of(start)
            tip = f"{label} — {series.name}: {format_number(value)}" if series.name else (
                f"{label}: {format_number(value)}")
            body.append(f'<rect class="bar" data-label="{escape(label)}" '
                        f'data-series="{escape(series.name)}" data-value="{format_number(value)}"'
                        f' x="{_num(x_of(start))}" y="{_num(y)}" width="{_num(max(bar_width, 0))}" '
                        f'height="{_num(bar_height - 1)}" '
                        f'fill="{by_label[i] if by_label else colours[j]}">'
                        f'<title>{escape(tip)}</title></rect>')
            if chart.stacked:
                offset += value
            else:
                body.append(f'<text class="value" x="{_num(x_of(value) + 4)}" '
                            f'y="{_num(y + bar_height / 2)}" dominant-baseline="middle">'
                            f'{format_number(value)}</text>')
        if chart.stacked:
            body.append(f'<text class="value" x="{_num(x_of(offset) + 4)}" '
                        f'y="{_num(row_top + row_height / 2)}" dominant-baseline="middle">'
                        f'{format_number(offset)}</text>')
    axis_y = top + len(chart.labels) * row_height + 2
    body.append(f'<line class="axis" x1="{_num(left)}" y1="{_num(top)}" x2="{_num(left)}" '
                f'y2="{_num(axis_y)}" stroke="#8c959f"/>')
    # Ticks at 0, half and full scale; the half tick only where it is a whole number or the
    # scale itself is fractional, so counts are never labelled 0.5.
    half = scale_max / 2
    fractions = (0.0, 0.5, 1.0) if half.is_integer() or scale_max < 1 else (0.0, 1.0)
    for fraction in fractions:
        x = left + plot * fraction
        body.append(f'<text class="tick" x="{_num(x)}" y="{_num(axis_y + 12)}" '
                    f'text-anchor="middle" fill="#57606a">'
                    f'{format_number(scale_max * fraction)}</text>')
    height = axis_y + 20
    if len(chart.series) > 1 or (chart.stacked and names != ("",)):
        legend, legend_height = _legend(names, colours, height + 2, left, width)
        body.append(f'<g class="legend">{legend}</g>')
        height += legend_height + 6
    return _svg(chart.title, "bar", height, "".join(body), width)


def _heat_colour(value: float, low: float, high: float) -> str:
    """From pale blue (low) to deep blue (high), linearly in RGB."""
    t = 0.0 if high <= low else (value - low) / (high - low)
    pale, deep = (232, 241, 250), (20, 70, 140)
    r, g, b = (round(p + (d - p) * t) for p, d in zip(pale, deep, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(chart: HeatmapView) -> Markup:
    """A heatmap: rows by columns, darker for higher values; cell text when given."""
    low, high = chart.value_range()
    pattern_prefix = _pattern_prefix(chart)
    label_width = min(MAX_LABEL_CHARS, max([4, *(len(lbl) for lbl in chart.y_labels)])) * CHAR_WIDTH
    left = label_width + 12
    columns = max(1, len(chart.x_labels))
    cell_width = max(28.0, min(110.0, (WIDTH - left - 8) / columns))
    longest_x = max([1, *(len(_short(lbl, 22)) for lbl in chart.x_labels)])
    rotate = longest_x * CHAR_WIDTH > cell_width - 4
    header = (longest_x * CHAR_WIDTH * 0.72 + 14) if rotate else 20
    cell_height = 26.0
    # Rotated labels lean right past the last column; leave room so none is cut off.
    overhang = longest_x * CHAR_WIDTH * 0.72 if rotate else 0
    width = max(WIDTH, left + cell_width * columns + 8 + overhang)
    body: list[str] = []
    for c, x_label in enumerate(chart.x_labels):
        cx = left + c * cell_width + cell_width / 2
        shown = escape(_short(x_label, 22))
        if rotate:
            body.append(f'<text class="xlabel" transform="translate({_num(cx)},{_num(header - 6)})'
                        f' rotate(-45)"><title>{escape(x_label)}</title>{shown}</text>')
        else:
            body.append(f'<text class="xlabel" x="{_num(cx)}" y="{_num(header - 6)}" '
                        f'text-anchor="middle"><title>{escape(x_label)}</title>{shown}</text>')
    for r, y_label in enumerate(chart.y_labels):
        y = header + r * cell_height
        body.append(f'<text class="label" x="{_num(left - 6)}" y="{_num(y + cell_height / 2)}" '
                    f'text-anchor="end" dominant-baseline="middle"><title>{escape(y_label)}'
                    f'</title>{escape(_short(y_label))}</text>')
        for c, x_label in enumerate(chart.x_labels):
            value = chart.values[r][c]
            x = left + c * cell_width
            verdict = chart.classes[r][c] if chart.classes is not None else None
            if verdict is not None:
                fill = VERDICT_COLOURS[verdict]
                dark = verdict not in DARK_TEXT_ON
            else:
                fill = "#f2f3f5" if value is None else _heat_colour(value, low, high)
                dark = value is not None and high > low and (value - low) / (high - low) > 0.55
            text = chart.text(r, c)
            shown_value = "unknown" if value is None else format_number(value)
            tip = f"{y_label} × {x_label}: {text or shown_value}"
            body.append(f'<rect class="cell" data-row="{escape(y_label)}" '
                        f'data-column="{escape(x_label)}" data-value="{shown_value}" '
                        f'x="{_num(x)}" y="{_num(y)}" width="{_num(cell_width - 2)}" '
                        f'height="{_num(cell_height - 2)}" rx="2" fill="{fill}">'
                        f'<title>{escape(tip)}</title></rect>')
            if verdict is not None and VERDICT_PATTERNS[verdict] != "solid":
                body.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(cell_width - 2)}" '
                            f'height="{_num(cell_height - 2)}" rx="2" '
                            f'fill="url(#{pattern_prefix}-{VERDICT_PATTERNS[verdict]})" '
                            f'pointer-events="none"/>')
            if text:
                limit = max(2, int((cell_width - 6) / CHAR_WIDTH))
                body.append(f'<text class="cell-text" x="{_num(x + cell_width / 2 - 1)}" '
                            f'y="{_num(y + cell_height / 2)}" text-anchor="middle" '
                            f'dominant-baseline="middle" fill="{"#ffffff" if dark else "#1f2328"}"'
                            f'>{escape(_short(text, limit))}</text>')
    legend_y = header + len(chart.y_labels) * cell_height + 8
    if chart.classes is not None:
        body.append(_verdict_legend(left, legend_y, pattern_prefix))
        body.insert(0, _verdict_patterns(pattern_prefix))
    else:
        body.append(_heat_legend(left, legend_y, low, high))
    return _svg(chart.title, "heatmap", legend_y + 20, "".join(body), width)


def _verdict_patterns(prefix: str) -> str:
    """Hatching, dots and cross-hatching drawn over a verdict's colour."""
    line = 'stroke="#ffffff" stroke-opacity=".55" stroke-width="1.6"'
    return (
        f'<defs><pattern id="{prefix}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" {line}/></pattern>'
        f'<pattern id="{prefix}-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<circle cx="3" cy="3" r="1.1" fill="#1f2328" fill-opacity=".45"/></pattern>'
        f'<pattern id="{prefix}-cross" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<path d="M0 0L6 6M6 0L0 6" {line}/></pattern></defs>')


def _verdict_legend(x: float, y: float, prefix: str) -> str:
    """Each verdict's colour and pattern with its name, in the order of severity."""
    parts, left = [], x
    for verdict in ("prohibited", "allowed_with", "undetermined", "allowed", "not_applicable"):
        pattern = VERDICT_PATTERNS[verdict]
        parts.append(f'<rect x="{_num(left)}" y="{_num(y)}" width="15" height="12" '
                     f'fill="{VERDICT_COLOURS[verdict]}" stroke="#d0d7de"/>')
        if pattern != "solid":
            parts.append(f'<rect x="{_num(left)}" y="{_num(y)}" width="15" height="12" '
                         f'fill="url(#{prefix}-{pattern})"/>')
        label = verdict.replace("_", " ")
        parts.append(f'<text x="{_num(left + 20)}" y="{_num(y + 9)}" fill="#1f2328">{label}'
                     '</text>')
        left += 20 + len(label) * CHAR_WIDTH + 14
    return f'<g class="verdict-legend">{"".join(parts)}</g>'


def _pattern_prefix(chart: HeatmapView) -> str:
    """Pattern ids unique to a chart's content, so several charts on one page do not clash."""
    digest = hashlib.sha256("\x1f".join((chart.title, *chart.x_labels, *chart.y_labels))
                            .encode()).hexdigest()[:10]
    return f"p{digest}"


def _heat_legend(x: float, y: float, low: float, high: float) -> str:
    """The colour scale from the lowest to the highest value, and the colour of no value."""
    parts = [f'<text x="{_num(x)}" y="{_num(y + 9)}" fill="#57606a">{format_number(low)}</text>']
    start = x + 8 + len(format_number(low)) * CHAR_WIDTH
    for step in range(5):
        parts.append(f'<rect x="{_num(start + step * 16)}" y="{_num(y)}" width="15" height="12" '
                     f'fill="{_heat_colour(low + (high - low) * step / 4, low, high)}"/>')
    after = start + 5 * 16 + 4
    parts.append(f'<text x="{_num(after)}" y="{_num(y + 9)}" fill="#57606a">'
                 f'{format_number(high)}</text>')
    blank = after + len(format_number(high)) * CHAR_WIDTH + 18
    parts.append(f'<rect x="{_num(blank)}" y="{_num(y)}" width="15" height="12" fill="#f2f3f5" '
                 f'stroke="#d0d7de"/><text x="{_num(blank + 20)}" y="{_num(y + 9)}" '
                 f'fill="#57606a">no value</text>')
    return f'<g class="heat-legend">{"".join(parts)}</g>'



def chart_svg(chart: ChartView) -> Markup:
    """Draw any chart of the summary contract."""
    return bar_chart(chart) if isinstance(chart, BarChartView) else heatmap(chart)


def _svg(title: str, kind: str, height: float, body: str, width: float = WIDTH) -> Markup:
    # Sized by viewBox so it scales to the page; role/aria-label for screen readers.
    return Markup(  # noqa: S704 - every interpolated text above went through escape()
        f'<svg class="chart chart-{kind}" role="img" '
        f'aria-label="{escape(title)}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="{_num(width)}" height="{_num(height)}" style="{FONT};font-size:11px;'
        f'max-width:100%;height:auto">{body}</svg>'
    )
