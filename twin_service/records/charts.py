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

from accessibility.languages import language
from twin_service.messages import isolate, message
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


def _moment_link(m: Marker, lang: str) -> str:
    label = html.escape(m.label)
    name = html.escape(message(lang, "record.chart.moment", n=m.label))
    return f'<a href="{html.escape(m.href)}" aria-label="{name}">{label}</a>'


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
    lang: str = "en",
) -> str:
    """``x_text``: how each point's x reads in the table (default: seconds from x0); the
    words in ``lang`` (catalogue ``record.chart.*``), numbers in Western digits."""
    esc = html.escape

    def m(key: str, **values: object) -> str:
        return message(lang, key, **values)

    pts = series.points
    if not pts:
        return f'<p id="{chart_id}">{esc(m("record.chart.nothing", title=title))}</p>'
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
    shown = [mk for mk in markers if lo_x <= mk.x <= hi_x]
    marks = "".join(
        f'<line x1="{px(mk.x):.1f}" y1="{PAD - 8}" x2="{px(mk.x):.1f}" y2="{H - PAD}"'
        f' class="{"mark bookmark" if mk.bookmark else "mark"}"/>'
        for mk in shown
    )
    unit = f" {series.unit}" if series.unit else ""
    first, last = pts[0][1], pts[-1][1]

    def iso(text: str) -> str:
        return isolate(lang, text)

    summary = m(
        "record.chart.summary",
        n=len(pts),
        first=iso(f"{_fmt(first)}{unit}"),
        last=iso(f"{_fmt(last)}{unit}"),
        low=iso(f"{_fmt(min(ys))}{unit}"),
        high=iso(f"{_fmt(max(ys))}{unit}"),
    )
    if shown:
        summary += " " + m("record.chart.marks", n=len(shown))
    summary += " " + m("record.chart.table_below")
    texts = x_text or [f"{x - lo_x:.0f} s" for x, _ in pts]
    rows = "".join(
        f"<tr{f' id={chr(34)}{chart_id}-row-{i}{chr(34)}' if row_ids else ''}>"
        f'<th scope="row"><span class="ltr">{esc(texts[i])}</span></th>'
        f"<td>{_fmt(pts[i][1])}</td></tr>"
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
        + '<p class="scale">'
        + esc(
            m(
                "record.chart.scale",
                bottom=iso(f"{_fmt(lo_y)}{unit}"),
                top=iso(f"{_fmt(hi_y)}{unit}"),
                across=x_label if lang != "en" else x_label.lower(),
                first=iso(texts[0]),
                last=iso(texts[-1]),
            )
        )
        + (
            " "
            + esc(m("record.chart.marked"))
            + " "
            + language(lang).list_separator.join(_moment_link(mk, lang) for mk in shown)
            + esc(m("record.chart.end"))
            if shown
            else ""
        )
        + "</p>"
        f'<figcaption><strong id="{title_id}">{esc(title)}</strong>. '
        f'<span id="{desc_id}">{esc(summary)}</span></figcaption>'
        f'<table id="{chart_id}-data" class="chart-data">'
        f"<caption>{esc(m('record.chart.data', title=title))}</caption>"
        f'<thead><tr><th scope="col">{esc(x_label)}</th><th scope="col">{esc(series.name)}'
        f"{esc(f' ({series.unit})' if series.unit else '')}</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></figure>"
    )
