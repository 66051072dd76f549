"""The debrief of one session (an HTML fragment; the page ``/sessions/{id}/debrief``).

What simulation centres debrief with (SimCapture, CAE LearningSpace; docs/records.md):
the timeline of what happened with the instructor's bookmarks, the session's vitals or
CPR charts with those moments marked on them, jump links to each moment, and every
chart's data as a table. Printable: the page's print style drops the controls.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping, Sequence
from typing import Any

from accesstwin_contract.quantities import DERIVED, QUANTITIES, SENSORS
from twin_service.records.base import EventRow
from twin_service.records.charts import ChartIds, Marker, Series, line_chart
from twin_service.records.views import event_summary

# The history-only series charted besides the quantities the dashboard shows.
_CHARTED_HIDDEN = frozenset({"cpr_compression_depth_mm"})
_MOMENT_KINDS = {
    "bookmark",
    "choice",
    "instructor",
    "session.finished",
    "session.interrupted",
    "session.resumed",
}


def sensors_for(scenario: str) -> tuple[str, ...]:
    """What the debrief charts (those with points in the session): every quantity the
    dashboard shows that is not a raw waveform, and each compression's depth."""
    del scenario  # every scenario's kit may report any of them
    return tuple(
        q.name for q in QUANTITIES if (q.shown and not q.waveform) or q.name in _CHARTED_HIDDEN
    )


def _label(name: str) -> str:
    quantity = SENSORS.get(name) or DERIVED.get(name)
    return quantity.label if quantity is not None else name.replace("_", " ")


def _is_moment(e: EventRow) -> bool:
    return e.kind in _MOMENT_KINDS or (
        e.kind == "feedback" and e.data.get("severity") in ("warning", "critical")
    )


def _clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(ts)) + " UTC"


def debrief_html(
    report: Mapping[str, Any],
    title: str,
    events: Sequence[EventRow],
    vitals: Mapping[str, Series],
) -> str:
    esc = html.escape
    t0 = float(report["created_at"])
    sid = str(report["session_id"])
    moments = [e for e in events if _is_moment(e)]
    number = {e.seq: i + 1 for i, e in enumerate(moments)}
    markers = [
        Marker(e.ts, str(number[e.seq]), f"#ev-{e.seq}", e.kind == "bookmark") for e in moments
    ]
    ids = ChartIds()
    end = float(report.get("finished_at") or 0.0) or max((e.ts for e in events), default=t0)
    charts = []
    for sensor, series in vitals.items():
        name = _label(sensor)
        charts.append(
            line_chart(
                Series(name, series.unit, series.points),
                name,
                ids.next(),
                x_label="Time since start",
                markers=markers,
                x1=end,
                x0=t0,
            )
        )
    scores = [(e.ts, float(e.data.get("score") or 0.0)) for e in events if e.kind == "score"]
    charts.append(
        line_chart(
            Series("Score", "of 100", scores),
            "Score over time",
            ids.next(),
            x_label="Time since start",
            markers=markers,
            x1=end,
            x0=t0,
        )
    )
    jump = "".join(
        f'<li><a href="#ev-{e.seq}">{number[e.seq]}. {_elapsed(e.ts, t0)}:'
        f" {esc(event_summary(e))}</a></li>"
        for e in moments
    )
    rows = "".join(_row(e, t0, number.get(e.seq)) for e in events)
    score = report.get("score") or {}
    state = str(report.get("state", ""))
    state_words = {
        "finished": "finished",
        "running": "still running",
        "interrupted": "interrupted (the service stopped while it ran)",
    }.get(state, state)
    learner = esc(str(report["learner_id"]))
    grade = f" ({esc(str(score['grade']))})" if score.get("grade") else ""
    bookmarks = sum(1 for e in events if e.kind == "bookmark")
    no_vitals = (
        ""
        if vitals
        else "<p>The kit recorded no vital signs or CPR values during this session.</p>"
    )
    return f"""<h1>Debrief: {esc(title)}</h1>
<p>Learner <a href="/learners/{learner}">{learner}</a>,
kit {esc(str(report["lab"]))}/{esc(str(report["kit"]))}, started {_clock(t0)}, {esc(state_words)}.
Score {float(score.get("score") or 0):.0f} of 100{grade}.
{len(events)} events, {bookmarks} bookmark{"" if bookmarks == 1 else "s"}.</p>
<p class="no-print"><a href="/api/v1/sessions/{esc(sid)}/events?format=csv" data-api-download
 download="session-{esc(sid)}.csv">Download the timeline (CSV)</a>
· <a href="/api/v1/sessions/{esc(sid)}/report?format=html" data-api-open>Session report</a></p>
<nav aria-labelledby="jump-title"><h2 id="jump-title">Jump to a moment</h2>
{f"<ol class='moments'>{jump}</ol>" if jump else "<p>No moments were marked.</p>"}</nav>
<h2>Charts</h2>
<p>Lines on each chart mark the moments listed above (dashed lines: bookmarks); under each
chart they are linked in order, left to right.</p>
{no_vitals}{"".join(charts)}
<h2 id="timeline-title">Timeline</h2>
<table class="timeline" aria-labelledby="timeline-title"><thead><tr>
<th scope="col">Moment</th><th scope="col">Since start</th><th scope="col">Time</th>
<th scope="col">Kind</th><th scope="col">What happened</th></tr></thead>
<tbody>{rows}</tbody></table>"""


def _elapsed(ts: float, t0: float) -> str:
    s = max(0, round(ts - t0))
    return f"{s // 60}:{s % 60:02d}"


def _row(e: EventRow, t0: float, moment: int | None) -> str:
    esc = html.escape
    mark = f"{moment}" if moment is not None else ""
    if e.kind == "bookmark":
        mark += " ★ Bookmark"
    cls = ' class="bookmark"' if e.kind == "bookmark" else ""
    return (
        f'<tr id="ev-{e.seq}"{cls} tabindex="-1"><td>{esc(mark.strip())}</td>'
        f"<td>{_elapsed(e.ts, t0)}</td><td>{_clock(e.ts)}</td><td>{esc(e.kind)}</td>"
        f"<td>{esc(event_summary(e))}</td></tr>"
    )
