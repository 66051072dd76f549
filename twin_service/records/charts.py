"""SVG line charts with words and a data table (pure HTML; for the debrief and progress).

Every chart is a ``<figure>``: the SVG (``role="img"``) is labelled by the caption's title
and described by its summary, and a data table of the same values follows, outside any
``<details>``, so it is read and printed with the chart. Markers (events, bookmarks) are
numbered lines on the chart, each linked to its row in the timeline.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from twin_service.sessions.report import table_indices

W, H, PAD = 720, 220, 44


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    unit: str
    points: list[tuple[float, float]]  # (x, y), x ascending


@dataclass(frozen=True, slots=True)
class Marker:
    x: float
    label: str  # short: a number shown on the chart
    href: str  # the timeline row it stands for
    bookmark: bool = False


@dataclass
class ChartIds:
    """Gives each chart of a page its own ids (``chart-1``, ``chart-2``, …)."""

    count: int = 0
    ids: list[str] = field(default_factory=list)

    def next(self) -> str:
        self.count += 1
        return f"chart-{self.count}"


def _moment_link(m: Marker) -> str:
    label = html.escape(m.label)
    return f'<a href="{html.escape(m.href)}" aria-label="Moment {label}">{label}</a>'


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}"


def line_chart(
    series: Series,
    title: str,
    chart_id: str,
    *,
    x_label: str,
    x_text: Sequence[str] | None = None,
    markers: Sequence[Marker] = (),
    x0: float | None = None,
    x1: float | None = None,
    row_ids: bool = False,
) -> str:
    """``x_text``: how each point's x reads in the table (default: seconds from x0)."""
    esc = html.escape
    pts = series.points
    if not pts:
        return f'<p id="{chart_id}">{esc(title)}: nothing was recorded.</p>'
    lo_x = pts[0][0] if x0 is None else x0
    hi_x = pts[-1][0] if x1 is None else x1
    span_x = max(hi_x - lo_x, 1e-9)
    ys = [p[1] for p in pts]
    lo_y, hi_y = min(ys), max(ys)
    if hi_y - lo_y < 1e-9:
        lo_y, hi_y = lo_y - 1, hi_y + 1

    def px(x: float) -> float:
        return PAD + (x - lo_x) / span_x * (W - 2 * PAD)

    def py(y: float) -> float:
        return H - PAD - (y - lo_y) / (hi_y - lo_y) * (H - 2 * PAD)

    line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
    dots = (
        ""
        if len(pts) > 1
        else f'<circle cx="{px(pts[0][0]):.1f}" cy="{py(pts[0][1]):.1f}" r="4" class="dot"/>'
    )
    shown = [m for m in markers if lo_x <= m.x <= hi_x]
    marks = "".join(
        f'<line x1="{px(m.x):.1f}" y1="{PAD - 8}" x2="{px(m.x):.1f}" y2="{H - PAD}"'
        f' class="{"mark bookmark" if m.bookmark else "mark"}"/>'
        for m in shown
    )
    unit = f" {series.unit}" if series.unit else ""
    first, last = pts[0][1], pts[-1][1]
    summary = (
        f"{len(pts)} values from {_fmt(first)}{unit} to {_fmt(last)}{unit};"
        f" lowest {_fmt(min(ys))}{unit}, highest {_fmt(max(ys))}{unit}."
        + (f" {len(shown)} lines mark the timeline's moments." if shown else "")
        + " The table below lists the values."
    )
    texts = x_text or [f"{x - lo_x:.0f} s" for x, _ in pts]
    rows = "".join(
        f"<tr{f' id={chr(34)}{chart_id}-row-{i}{chr(34)}' if row_ids else ''}>"
        f'<th scope="row">{esc(texts[i])}</th><td>{_fmt(pts[i][1])}</td></tr>'
        for i in (range(len(pts)) if row_ids else table_indices(len(pts)))
    )
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    return (
        f'<figure id="{chart_id}" class="chart">'
        f'<svg role="img" aria-labelledby="{title_id}" aria-describedby="{desc_id}"'
        f' viewBox="0 0 {W} {H}" preserveAspectRatio="xMidYMid meet">'
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" class="axis"/>'
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" class="axis"/>'
        f'{marks}<polyline points="{line}" class="line"/>{dots}</svg>'
        f'<p class="scale">Scale: bottom {_fmt(lo_y)}{esc(unit)}, top {_fmt(hi_y)}{esc(unit)};'
        f" across: {esc(x_label.lower())}, {esc(texts[0])} to {esc(texts[-1])}."
        + (
            " Marked moments, left to right: "
            + ", ".join(
                f'<a href="{esc(m.href)}" aria-label="Moment {esc(m.label)}">{esc(m.label)}</a>'
                for m in shown
            )
            + "."
            if shown
            else ""
        )
        + "</p>"
        f'<figcaption><strong id="{title_id}">{esc(title)}</strong>. '
        f'<span id="{desc_id}">{esc(summary)}</span></figcaption>'
        f'<table id="{chart_id}-data" class="chart-data"><caption>{esc(title)}: data</caption>'
        f'<thead><tr><th scope="col">{esc(x_label)}</th><th scope="col">{esc(series.name)}'
        f"{esc(f' ({series.unit})' if series.unit else '')}</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></figure>"
    )
