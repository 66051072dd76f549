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
from twin_service.messages import catalogue, grade_words, message, message_html
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


def _label(name: str, lang: str) -> str:
    """A charted value's name: the dashboard's word for it (``record.sensor.*`` for those the
    dashboard shows only inside another), else the vocabulary's label."""
    quantity = SENSORS.get(name) or DERIVED.get(name)
    english = quantity.label if quantity is not None else name.replace("_", " ")
    words = catalogue(lang)
    for key in (f"dashboard.sensor.{name}", f"record.sensor.{name}"):
        if key in words:
            return words[key]
    return english


def _is_moment(e: EventRow) -> bool:
    return e.kind in _MOMENT_KINDS or (
        e.kind == "feedback" and e.data.get("severity") in ("warning", "critical")
    )


def _clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(ts)) + " UTC"


def _time(ts: float) -> str:
    """A clock time as HTML, isolated so that Arabic text does not reorder it."""
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
    return f'<time datetime="{iso}">{_clock(ts)}</time>'


def debrief_html(
    report: Mapping[str, Any],
    title: str,
    events: Sequence[EventRow],
    vitals: Mapping[str, Series],
    lang: str = "en",
) -> str:
    """The debrief in ``lang`` (catalogue ``record.*``; a vital's name by
    ``dashboard.sensor.*``); what the learner was told stays as delivered."""
    esc = html.escape

    def m(key: str, **values: object) -> str:
        return esc(message(lang, key, **values))

    t0 = float(report["created_at"])
    sid = str(report["session_id"])
    moments = [e for e in events if _is_moment(e)]
    number = {e.seq: i + 1 for i, e in enumerate(moments)}
    markers = [
        Marker(e.ts, str(number[e.seq]), f"#ev-{e.seq}", e.kind == "bookmark") for e in moments
    ]
    ids = ChartIds()
    end = float(report.get("finished_at") or 0.0) or max((e.ts for e in events), default=t0)
    since = message(lang, "record.since_start")
    charts = []
    for sensor, series in vitals.items():
        name = _label(sensor, lang)
        charts.append(
            line_chart(
                Series(name, series.unit, series.points),
                name,
                ids.next(),
                x_label=since,
                markers=markers,
                x1=end,
                x0=t0,
                lang=lang,
            )
        )
    scores = [(e.ts, float(e.data.get("score") or 0.0)) for e in events if e.kind == "score"]
    charts.append(
        line_chart(
            Series(message(lang, "report.score"), message(lang, "record.of_100"), scores),
            message(lang, "report.over_time"),
            ids.next(),
            x_label=since,
            markers=markers,
            x1=end,
            x0=t0,
            lang=lang,
        )
    )
    jump = "".join(
        f'<li><a href="#ev-{e.seq}">{number[e.seq]}. {_elapsed(e.ts, t0)}:'
        f" {esc(event_summary(e, lang))}</a></li>"
        for e in moments
    )
    rows = "".join(_row(e, t0, number.get(e.seq), lang) for e in events)
    score = report.get("score") or {}
    state = str(report.get("state", ""))
    state_words = (
        m(f"record.state.{state}")
        if state in ("finished", "running", "interrupted")
        else esc(state)
    )
    learner = esc(str(report["learner_id"]))
    grade = grade_words(score.get("grade"), lang)
    bookmarks = sum(1 for e in events if e.kind == "bookmark")
    no_vitals = "" if vitals else f"<p>{m('record.no_vitals')}</p>"
    who = message_html(
        lang,
        "record.debrief.who",
        learner=f'<a href="/learners/{learner}">{learner}</a>',
        kit=f'<span class="ltr">{esc(str(report["lab"]))}/{esc(str(report["kit"]))}</span>',
        time=_time(t0),
        state=state_words,
    )
    points = f"{float(score.get('score') or 0):.0f}"
    score_line = (
        m("record.debrief.score_grade", score=points, grade=grade)
        if grade
        else m("record.debrief.score", score=points)
    )
    counts = m(
        "record.debrief.counts_one" if bookmarks == 1 else "record.debrief.counts",
        events=len(events),
        bookmarks=bookmarks,
    )
    return f"""<h1>{m("record.debrief.heading", title=title)}</h1>
<p>{who}
{score_line}
{counts}</p>
<p class="no-print"><a href="/api/v1/sessions/{esc(sid)}/events?format=csv" data-api-download
 download="session-{esc(sid)}.csv">{m("record.debrief.csv")}</a>
· <a href="/api/v1/sessions/{esc(sid)}/report?format=html" data-api-open>
{m("record.debrief.report")}</a></p>
<nav aria-labelledby="jump-title"><h2 id="jump-title">{m("record.debrief.jump")}</h2>
{f"<ol class='moments'>{jump}</ol>" if jump else f"<p>{m('record.debrief.no_moments')}</p>"}</nav>
<h2>{m("record.debrief.charts")}</h2>
<p>{m("record.debrief.charts_help")}</p>
{no_vitals}{"".join(charts)}
<h2 id="timeline-title">{m("record.debrief.timeline")}</h2>
<table class="timeline" aria-labelledby="timeline-title"><thead><tr>
<th scope="col">{m("record.col.moment")}</th><th scope="col">{m("record.col.since")}</th>
<th scope="col">{m("record.col.time")}</th><th scope="col">{m("record.col.kind")}</th>
<th scope="col">{m("record.col.what")}</th></tr></thead>
<tbody>{rows}</tbody></table>"""


def _elapsed(ts: float, t0: float) -> str:
    s = max(0, round(ts - t0))
    return f"{s // 60}:{s % 60:02d}"


def _row(e: EventRow, t0: float, moment: int | None, lang: str) -> str:
    esc = html.escape
    mark = f"{moment}" if moment is not None else ""
    if e.kind == "bookmark":
        mark += " ★ " + message(lang, "record.bookmark")
    cls = ' class="bookmark"' if e.kind == "bookmark" else ""
    return (
        f'<tr id="ev-{e.seq}"{cls} tabindex="-1"><td>{esc(mark.strip())}</td>'
        f"<td>{_elapsed(e.ts, t0)}</td><td>{_time(e.ts)}</td><td>{esc(e.kind)}</td>"
        f"<td>{esc(event_summary(e, lang))}</td></tr>"
    )
