"""Small server-side SVG charts: bar (grouped or stacked, vertical or horizontal) and line.

Readable without colour: every series has its own fill pattern as well as a colour,
values are written on the chart (with a halo so they read on any fill), the legend
repeats the patterns, and each chart is ``role="img"`` with a ``<title>`` and
``<desc>``. Pages show the same numbers in a data table beside the chart. Only SVG
presentation attributes are used (the CSP forbids inline styles). Pure functions: no
Flask, no database.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: (colour, pattern) per series, in order. Colours are the tier tag colours (≥ 7:1 on white).
PALETTE: tuple[tuple[str, str], ...] = (
    ("#00428c", "solid"),
    ("#115a36", "diagonal"),
    ("#8b3200", "dots"),
    ("#5109ad", "cross"),
    ("#006173", "horizontal"),
    ("#8b008b", "vertical"),
)
NEUTRAL = ("#e6e6e6", "neutral")
TEXT = "#1a1a1a"
MUTED = "#4d4d4d"
GRID = "#cccccc"
OUTLINE = "#333333"
FONT_SIZE = 13
#: viewBox width: about the width the chart is shown at beside its table (no scaling).
WIDTH = 640

_ID_RE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    #: Draw with the neutral light fill (e.g. "none yet") instead of the next pattern.
    neutral: bool = False


def _id(chart_id: str) -> str:
    cleaned = _ID_RE.sub("-", chart_id)
    return cleaned if cleaned and cleaned[0].isalpha() else f"c-{cleaned}"


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Rough rendered width: full-width characters 1em, others 0.6em."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.6 for c in text)


def truncate(text: str, max_width: float, size: float = FONT_SIZE) -> str:
    if text_width(text, size) <= max_width:
        return text
    out = ""
    for c in text:
        if text_width(out + c + "…", size) > max_width:
            break
        out += c
    return out + "…"


def fmt_number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def fmt_percent(value: float) -> str:
    return f"{value:.0f}%" if float(value).is_integer() else f"{value:.1f}%"


def nice_scale(value: float, ticks: int = 4) -> tuple[float, float]:
    """(axis top, tick step): a round step (1, 2, 2.5 or 5 × 10^n) giving at most `ticks`
    intervals, and the smallest multiple of it that holds `value`."""
    if value <= 0:
        return 1.0, 0.25
    raw = value / ticks
    exponent = 10 ** math.floor(math.log10(raw))
    step = next(m * exponent for m in (1, 2, 2.5, 5, 10) if m * exponent >= raw)
    return step * math.ceil(value / step - 1e-9), step


def _ticks(top: float, step: float) -> list[float]:
    return [step * i for i in range(int(round(top / step)) + 1)]


def _palette(series: Sequence[Series], i: int) -> tuple[str, str]:
    """(colour, pattern) of series `i`; neutral series do not use up a palette entry, so
    that T1–T4 keep the tier colours whether or not a "none yet" series comes first."""
    n = sum(1 for s in series[:i] if not s.neutral)
    return PALETTE[n % len(PALETTE)]


def _style(series: Sequence[Series], i: int, prefix: str) -> str:
    """The fill of series `i`: a pattern url or a plain colour."""
    if series[i].neutral:
        return NEUTRAL[0]
    colour, pattern = _palette(series, i)
    return colour if pattern == "solid" else f"url(#{prefix}-p{i})"


def _pattern_defs(series: Sequence[Series], prefix: str) -> str:
    defs = []
    for i, s in enumerate(series):
        if s.neutral:
            continue
        colour, pattern = _palette(series, i)
        pid = f"{prefix}-p{i}"
        shapes = {
            "diagonal": '<path d="M-2 2l4-4M0 8l8-8M6 10l4-4" stroke="#fff" stroke-width="2"/>',
            "dots": '<circle cx="4" cy="4" r="1.8" fill="#fff"/>',
            "cross": '<path d="M0 0l8 8M8 0l-8 8" stroke="#fff" stroke-width="1.4"/>',
            "horizontal": '<path d="M0 4h8" stroke="#fff" stroke-width="2"/>',
            "vertical": '<path d="M4 0v8" stroke="#fff" stroke-width="2"/>',
        }.get(pattern)
        if shapes is None:
            continue
        defs.append(
            f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{shapes}</pattern>'
        )
    return f"<defs>{''.join(defs)}</defs>" if defs else ""


def _label(x: float, y: float, text: str, anchor: str = "middle", size: float = FONT_SIZE) -> str:
    """A value label with a white halo so that it reads on any fill."""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{TEXT}" stroke="#fff" stroke-width="4" stroke-linejoin="round" '
        f'paint-order="stroke" font-weight="700">{escape(text)}</text>'
    )


def _legend(series: Sequence[Series], prefix: str, y: float, x0: float = 0) -> tuple[str, float]:
    """Swatches with the series' pattern and name, wrapping; returns (svg, height)."""
    parts = []
    x, row = x0, 0
    for i, s in enumerate(series):
        fill = _style(series, i, prefix)
        w = 22 + text_width(s.name) + 18
        if x + w > WIDTH and x > x0:
            x, row = x0, row + 1
        top = y + row * 22
        parts.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="16" height="16" fill="{fill}" '
            f'stroke="{OUTLINE}" stroke-width="1"/>'
            f'<text x="{x + 22:.1f}" y="{top + 13:.1f}" font-size="{FONT_SIZE}" '
            f'fill="{TEXT}">{escape(s.name)}</text>'
        )
        x += w
    return "".join(parts), (row + 1) * 22


def _x_label(x: float, axis_y: float, text: str, max_width: float) -> str:
    """A category under the x axis; a newline in `text` starts a second line (e.g. the year)."""
    lines = text.split("\n")[:2]
    spans = "".join(
        f'<tspan x="{x:.1f}" dy="{0 if i == 0 else 14}">{escape(truncate(line, max_width, 12))}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text x="{x:.1f}" y="{axis_y + 16:.1f}" text-anchor="middle" font-size="12" '
        f'fill="{TEXT}">{spans}</text>'
    )


def _frame(prefix: str, title: str, desc: str, height: float, body: str) -> Markup:
    h = math.ceil(height)
    return Markup(  # noqa: S704 - every piece of text above went through escape()
        f'<svg class="chart__svg" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {h}" width="{WIDTH}" height="{h}" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" focusable="false">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool = False,
    horizontal: bool = False,
    percent: bool = False,
    totals: bool = True,
    value_format: Callable[[float], str] | None = None,
    max_value: float | None = None,
) -> Markup:
    """A bar chart. With `percent`, each category's stack is scaled to 100%; `max_value`
    fixes the axis (e.g. 100 for values that are already percentages).

    Values are printed in segments wide enough to hold them; `totals` prints each
    stack's total (or, for grouped bars, every bar's value) at its end.
    """
    prefix = _id(chart_id)
    fmt = value_format or fmt_number
    n = len(categories)
    values = [[float(s.values[j]) if j < len(s.values) else 0.0 for j in range(n)] for s in series]
    sums = [sum(v[j] for v in values) for j in range(n)]
    if percent:
        values = [[(v[j] * 100.0 / sums[j]) if sums[j] else 0.0 for j in range(n)] for v in values]
        top, step = 100.0, 25.0
    elif max_value is not None:
        top, step = nice_scale(max_value)
    elif stacked:
        top, step = nice_scale(max(sums, default=0))
    else:
        top, step = nice_scale(max((max(v, default=0) for v in values), default=0))
    legend, legend_h = _legend(series, prefix, 4) if len(series) > 1 else ("", 0.0)
    body = [_pattern_defs(series, prefix), legend]
    y0 = legend_h + (10 if legend_h else 4)
    if not n:
        body.append(_label(WIDTH / 2, y0 + 30, "—"))
        return _frame(prefix, title, desc, y0 + 50, "".join(body))
    per_cat = 1 if stacked or percent else len(series)
    if horizontal:
        label_w = min(max(text_width(c) for c in categories) + 12, 220)
        total_w = 64 if totals and not percent else 28
        plot_x, plot_w = label_w, WIDTH - label_w - total_w
        bar_h = 18 if per_cat > 1 else 22
        cat_h = per_cat * bar_h + 10
        axis_y = y0 + n * cat_h
        scale = plot_w / top
        for value in _ticks(top, step):
            gx = plot_x + plot_w * value / top
            tick = fmt_percent(value) if percent else fmt(value)
            body.append(
                f'<line x1="{gx:.1f}" y1="{y0:.1f}" x2="{gx:.1f}" y2="{axis_y:.1f}" '
                f'stroke="{GRID}" stroke-width="1"/>'
                f'<text x="{gx:.1f}" y="{axis_y + 16:.1f}" text-anchor="middle" '
                f'font-size="12" fill="{MUTED}">{escape(tick)}</text>'
            )
        for j, cat in enumerate(categories):
            cy = y0 + j * cat_h + 5
            body.append(
                f'<text x="{plot_x - 8:.1f}" y="{cy + (cat_h - 10) / 2 + 5:.1f}" '
                f'text-anchor="end" font-size="{FONT_SIZE}" fill="{TEXT}">'
                f"<title>{escape(cat)}</title>{escape(truncate(cat, label_w - 12))}</text>"
            )
            x = plot_x
            for i, s in enumerate(series):
                v = values[i][j]
                raw = float(s.values[j]) if j < len(s.values) else 0.0
                w = v * scale
                y = cy if per_cat == 1 else cy + i * bar_h
                fill = _style(series, i, prefix)
                shown = fmt_percent(round(v)) if percent else fmt(raw)
                tip = f"{cat} {s.name}: {fmt(raw)}" + (
                    f" ({fmt_percent(round(v, 1))})" if percent else ""
                )
                if w > 0:
                    body.append(
                        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h - 2}" '
                        f'fill="{fill}" stroke="{OUTLINE}" stroke-width="0.75">'
                        f"<title>{escape(tip)}</title></rect>"
                    )
                    if stacked or percent:
                        if w >= text_width(shown, 12) + 8:
                            body.append(_label(x + w / 2, y + bar_h / 2 + 3, shown, size=12))
                    elif totals:
                        body.append(_label(x + w + 4, y + bar_h / 2 + 3, shown, "start", 12))
                elif not (stacked or percent) and totals:
                    body.append(_label(x + 4, y + bar_h / 2 + 3, shown, "start", 12))
                if stacked or percent:
                    x += w
            if totals and (stacked and not percent):
                body.append(_label(x + 4, cy + bar_h / 2 + 3, fmt(sums[j]), "start", 12))
        height = axis_y + 24
    else:
        plot_x, plot_w = 48, WIDTH - 56
        plot_h = 220
        axis_y = y0 + 18 + plot_h
        scale = plot_h / top
        slot = plot_w / n
        bar_w = min(48.0, slot * 0.7 / per_cat)
        for value in _ticks(top, step):
            gy = axis_y - plot_h * value / top
            tick = fmt_percent(value) if percent else fmt(value)
            body.append(
                f'<line x1="{plot_x:.1f}" y1="{gy:.1f}" x2="{plot_x + plot_w:.1f}" y2="{gy:.1f}" '
                f'stroke="{GRID}" stroke-width="1"/>'
                f'<text x="{plot_x - 6:.1f}" y="{gy + 4:.1f}" text-anchor="end" font-size="12" '
                f'fill="{MUTED}">{escape(tick)}</text>'
            )
        for j, cat in enumerate(categories):
            cx = plot_x + slot * j + slot / 2
            left = cx - bar_w * per_cat / 2
            y = axis_y
            for i, s in enumerate(series):
                v = values[i][j]
                raw = float(s.values[j]) if j < len(s.values) else 0.0
                h = v * scale
                x = left if per_cat == 1 else left + i * bar_w
                fill = _style(series, i, prefix)
                shown = fmt_percent(round(v)) if percent else fmt(raw)
                top_y = (y - h) if (stacked or percent) else (axis_y - h)
                if h > 0:
                    body.append(
                        f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                        f'fill="{fill}" stroke="{OUTLINE}" stroke-width="0.75">'
                        f"<title>{escape(f'{cat} {s.name}: {fmt(raw)}')}</title></rect>"
                    )
                    if (stacked or percent) and h >= 16 and bar_w >= text_width(shown, 11):
                        body.append(_label(x + bar_w / 2, top_y + h / 2 + 4, shown, size=11))
                if not (stacked or percent) and totals:
                    body.append(_label(x + bar_w / 2, axis_y - h - 4, shown, size=11))
                if stacked or percent:
                    y -= h
            if totals and stacked and not percent:
                body.append(_label(cx, y - 4, fmt(sums[j]), size=12))
            body.append(_x_label(cx, axis_y, cat, slot - 2))
        body.append(
            f'<line x1="{plot_x:.1f}" y1="{axis_y:.1f}" x2="{plot_x + plot_w:.1f}" '
            f'y2="{axis_y:.1f}" stroke="{OUTLINE}" stroke-width="1"/>'
        )
        height = axis_y + 40
    return _frame(prefix, title, desc, height, "".join(body))


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    values: Sequence[float],
    y_max: float | None = None,
    percent: bool = False,
) -> Markup:
    """A single-series line chart with a marker and a printed value at every point."""
    prefix = _id(chart_id)
    n = len(categories)
    top, step = nice_scale(y_max if y_max is not None else max(values, default=0))
    fmt = fmt_percent if percent else fmt_number
    plot_x, plot_w, y0, plot_h = 48, WIDTH - 48 - 36, 24, 220
    axis_y = y0 + plot_h
    body = []
    for value in _ticks(top, step):
        gy = axis_y - plot_h * value / top
        body.append(
            f'<line x1="{plot_x}" y1="{gy:.1f}" x2="{plot_x + plot_w}" y2="{gy:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{plot_x - 6}" y="{gy + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{MUTED}">{escape(fmt(value))}</text>'
        )
    if not n:
        body.append(_label(WIDTH / 2, axis_y - plot_h / 2, "—"))
        return _frame(prefix, title, desc, axis_y + 40, "".join(body))
    dx = plot_w / max(n - 1, 1)
    points = []
    for j, (cat, v) in enumerate(zip(categories, values, strict=True)):
        x = plot_x + (dx * j if n > 1 else plot_w / 2)
        y = axis_y - (min(float(v), top) / top) * plot_h if top else axis_y
        points.append((x, y, cat, float(v)))
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x:.1f} {y:.1f}" for i, (x, y, _c, _v) in enumerate(points)
    )
    body.append(f'<path d="{path}" fill="none" stroke="{PALETTE[0][0]}" stroke-width="3"/>')
    every = max(1, math.ceil(n / 12))
    for j, (x, y, cat, v) in enumerate(points):
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#fff" stroke="{PALETTE[0][0]}" '
            f'stroke-width="3"><title>{escape(f"{cat}: {fmt(v)}")}</title></circle>'
        )
        if j % every == 0 or j == n - 1:
            body.append(_label(x, y - 10 if y > y0 + 14 else y + 20, fmt(v), size=12))
            body.append(_x_label(x, axis_y, cat, dx * every - 2))
    body.append(
        f'<line x1="{plot_x}" y1="{axis_y}" x2="{plot_x + plot_w}" y2="{axis_y}" '
        f'stroke="{OUTLINE}" stroke-width="1"/>'
    )
    return _frame(prefix, title, desc, axis_y + 40, "".join(body))
