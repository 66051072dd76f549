"""A learner's progress across sessions (pure: records in, JSON and an HTML fragment out).

Per session: the score, the share of CPR compressions in target, the mean switch
reaction time and the scan time at the end. Charts over sessions, each with its table,
and a sentence per measure saying which way it went.
"""

from __future__ import annotations

import html
import statistics
import time
from collections.abc import Mapping, Sequence
from typing import Any

from twin_service.messages import catalogue, isolate, message
from twin_service.records.base import EventRow, SessionRow
from twin_service.records.charts import ChartIds, Series, line_chart

PROGRESS_SESSIONS = 30  # the newest sessions a progress view reads the events of
_IN_TARGET = ("depth_in_target_pct", "rate_in_target_pct", "recoil_in_target_pct")


def session_progress(row: SessionRow, events: Sequence[EventRow]) -> dict[str, Any]:
    score = row.score or {}
    metrics = score.get("metrics") or {}
    in_target = [float(metrics[k]) for k in _IN_TARGET if metrics.get(k) is not None]
    rts = [float(e.data["rt_ms"]) for e in events if e.kind == "switch" and e.data.get("rt_ms")]
    scans = [int(e.data["interval_ms"]) for e in events if e.kind == "scan.interval"]
    scan = scans[-1] if scans else row.profile.get("scan_interval_ms")
    return {
        "session_id": row.session_id,
        "scenario": row.scenario,
        "state": row.state,
        "created_at": row.created_at,
        "score": float(score["score"]) if score.get("score") is not None else None,
        "in_target_pct": round(statistics.fmean(in_target), 1) if in_target else None,
        "in_target": {k: metrics.get(k) for k in _IN_TARGET if k in metrics},
        "reaction_ms": round(statistics.fmean(rts), 1) if rts else None,
        "presses_timed": len(rts),
        "scan_ms": scan,
    }


def progress_json(learner_id: str, per_session: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    ordered = sorted(per_session, key=lambda s: s["created_at"])
    return {"learner_id": learner_id, "sessions": ordered, "summary": summaries(ordered)}


def _trend(name: str, values: Sequence[float], unit: str, better: str, lang: str) -> str | None:
    if not values:
        return None

    def m(key: str, **values: object) -> str:
        return message(lang, key, **values)

    def iso(value: float) -> str:
        return isolate(lang, f"{value:.0f}{unit}")

    if len(values) == 1:
        return m("record.trend.one", name=name, value=iso(values[0]))
    first, last = values[0], values[-1]
    change = last - first
    if abs(change) < 1e-9:
        way = m("record.trend.same")
    else:
        up = change > 0
        good = up == (better == "higher")
        verdict = m("record.trend.better" if good else "record.trend.worse")
        way = m(
            "record.trend.rose" if up else "record.trend.fell",
            change=iso(abs(change)),
            verdict=verdict,
        )
    best = max(values) if better == "higher" else min(values)
    return m(
        "record.trend.many",
        name=name,
        first=iso(first),
        last=iso(last),
        n=len(values),
        way=way,
        best=iso(best),
    )


def summaries(ordered: Sequence[Mapping[str, Any]], lang: str = "en") -> list[str]:
    """A sentence per measure saying which way it went (catalogue ``record.trend.*``)."""
    out: list[str] = []
    of_100 = " " + message(lang, "record.of_100")
    for scenario in sorted({s["scenario"] for s in ordered}):
        scores = [
            s["score"] for s in ordered if s["scenario"] == scenario and s["score"] is not None
        ]
        name = message(lang, "record.progress.score_in", scenario=scenario)
        line = _trend(name, scores, of_100, "higher", lang)
        if line:
            out.append(line)
    for key, unit, better in (
        ("in_target_pct", " %", "higher"),
        ("reaction_ms", " ms", "lower"),
        ("scan_ms", " ms", "lower"),
    ):
        values = [float(s[key]) for s in ordered if s[key] is not None]
        line = _trend(message(lang, f"record.progress.{key}"), values, unit, better, lang)
        if line:
            out.append(line)
    return out or [message(lang, "record.progress.no_sessions")]


def _score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:.0f}"


def _date(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def progress_html(
    learner_id: str, data: Mapping[str, Any], profile: Mapping[str, Any], lang: str = "en"
) -> str:
    """The progress fragment in ``lang`` (catalogue ``record.*``), numbers in Western digits."""
    esc = html.escape

    def m(key: str, **values: object) -> str:
        return esc(message(lang, key, **values))

    sessions: list[Mapping[str, Any]] = list(data["sessions"])
    ids = ChartIds()
    charts: list[str] = []

    def chart(title: str, name: str, unit: str, subset: list[Mapping[str, Any]], key: str) -> None:
        rows = [s for s in subset if s[key] is not None]
        if not rows:
            return
        points = [(float(i + 1), float(s[key])) for i, s in enumerate(rows)]
        texts = [f"{i + 1}: {_date(s['created_at'])}" for i, s in enumerate(rows)]
        charts.append(f"<h3>{esc(title)}</h3>")
        charts.append(
            line_chart(
                Series(name, unit, points),
                title,
                ids.next(),
                x_label=message(lang, "record.progress.session"),
                x_text=texts,
                row_ids=True,
                lang=lang,
            )
        )

    def words(key: str) -> str:
        return message(lang, key)

    for scenario in sorted({s["scenario"] for s in sessions}):
        subset = [s for s in sessions if s["scenario"] == scenario]
        title = message(lang, "record.progress.score_per_session", scenario=scenario)
        chart(title, words("report.score"), words("record.of_100"), subset, "score")
    for key, unit in (("in_target_pct", "%"), ("reaction_ms", "ms"), ("scan_ms", "ms")):
        title, name = words(f"record.progress.{key}.chart"), words(f"record.progress.{key}.name")
        chart(title, name, unit, sessions, key)
    listing = "".join(
        f"<tr><td>{esc(_date(s['created_at']))}</td><td>{esc(s['scenario'])}</td>"
        f"<td>{_state(str(s['state']), lang)}</td>"
        f"<td>{_score_text(s['score'])}</td>"
        f'<td><a href="/sessions/{esc(s["session_id"])}/debrief">{m("record.progress.debrief")}'
        '<span class="visually-hidden"> '
        f"{m('record.progress.debrief_of', date=_date(s['created_at']))}"
        "</span></a></td></tr>"
        for s in reversed(sessions)
    )
    said = "".join(f"<li>{esc(line)}</li>" for line in summaries(sessions, lang))
    scan = profile.get("scan_interval_ms")
    how = "record.progress.adapted" if profile.get("adaptive_scan") else "record.progress.by_hand"
    return f"""<h1>{m("record.progress.heading", learner=learner_id)}</h1>
<p>{m("record.progress.count", n=len(sessions))}
{m("record.progress.scan_now", scan=isolate(lang, f"{scan} ms"), how=message(lang, how))}</p>
<h2>{m("record.progress.in_short")}</h2><ul class="summary">{said}</ul>
<h2>{m("record.progress.sessions")}</h2>
<table class="sessions"><caption>{m("record.progress.caption")}</caption><thead><tr>
<th scope="col">{m("record.progress.col.started")}</th>
<th scope="col">{m("record.progress.col.scenario")}</th>
<th scope="col">{m("record.progress.col.state")}</th>
<th scope="col">{m("report.score")}</th>
<th scope="col">{m("record.progress.debrief")}</th></tr></thead><tbody>{listing}</tbody></table>
<h2>{m("record.progress.over")}</h2>{"".join(charts) or f"<p>{m('record.progress.nothing')}</p>"}"""


def _state(state: str, lang: str) -> str:
    key = f"record.session_state.{state}"
    return html.escape(message(lang, key) if key in catalogue(lang) else state)
