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


def _trend(name: str, values: Sequence[float], unit: str, better: str) -> str | None:
    if not values:
        return None
    if len(values) == 1:
        return f"{name}: {values[0]:.0f}{unit} in the one session so far."
    first, last = values[0], values[-1]
    change = last - first
    if abs(change) < 1e-9:
        way = "stayed the same"
    else:
        up = change > 0
        good = up == (better == "higher")
        verdict = "better" if good else "worse"
        way = f"{'rose' if up else 'fell'} by {abs(change):.0f}{unit} ({verdict})"
    return (
        f"{name}: from {first:.0f}{unit} to {last:.0f}{unit} over {len(values)} sessions;"
        f" it {way}. Best {max(values) if better == 'higher' else min(values):.0f}{unit}."
    )


def summaries(ordered: Sequence[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    for scenario in sorted({s["scenario"] for s in ordered}):
        scores = [
            s["score"] for s in ordered if s["scenario"] == scenario and s["score"] is not None
        ]
        line = _trend(f"Score in {scenario}", scores, " of 100", "higher")
        if line:
            out.append(line)
    for key, name, unit, better in (
        ("in_target_pct", "Compressions in target", " %", "higher"),
        ("reaction_ms", "Mean switch reaction time", " ms", "lower"),
        ("scan_ms", "Scan time", " ms", "lower"),
    ):
        line = _trend(name, [float(s[key]) for s in ordered if s[key] is not None], unit, better)
        if line:
            out.append(line)
    return out or ["No sessions are recorded for this learner yet."]


def _score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:.0f}"


def _date(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def progress_html(learner_id: str, data: Mapping[str, Any], profile: Mapping[str, Any]) -> str:
    esc = html.escape
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
                x_label="Session",
                x_text=texts,
                row_ids=True,
            )
        )

    for scenario in sorted({s["scenario"] for s in sessions}):
        subset = [s for s in sessions if s["scenario"] == scenario]
        chart(f"Score per session: {scenario}", "Score", "of 100", subset, "score")
    chart("Compressions in target per session", "In target", "%", sessions, "in_target_pct")
    chart("Mean switch reaction time per session", "Reaction time", "ms", sessions, "reaction_ms")
    chart("Scan time per session", "Scan time", "ms", sessions, "scan_ms")
    listing = "".join(
        f"<tr><td>{esc(_date(s['created_at']))}</td><td>{esc(s['scenario'])}</td>"
        f"<td>{esc(s['state'])}</td>"
        f"<td>{_score_text(s['score'])}</td>"
        f'<td><a href="/sessions/{esc(s["session_id"])}/debrief">Debrief'
        f'<span class="visually-hidden"> of the session of {esc(_date(s["created_at"]))}'
        "</span></a></td></tr>"
        for s in reversed(sessions)
    )
    said = "".join(f"<li>{esc(line)}</li>" for line in data["summary"])
    scan = profile.get("scan_interval_ms")
    return f"""<h1>Progress: learner {esc(learner_id)}</h1>
<p>{len(sessions)} sessions recorded. Scan time in the profile now: {esc(str(scan))} ms
({"adapted from the learner's presses" if profile.get("adaptive_scan") else "set by hand"}).</p>
<h2>In short</h2><ul class="summary">{said}</ul>
<h2>Sessions</h2>
<table class="sessions"><caption>Sessions, newest first</caption><thead><tr>
<th scope="col">Started (UTC)</th>
<th scope="col">Scenario</th><th scope="col">State</th><th scope="col">Score</th>
<th scope="col">Debrief</th></tr></thead><tbody>{listing}</tbody></table>
<h2>Over sessions</h2>{"".join(charts) or "<p>Nothing to chart yet.</p>"}"""
