"""What the API shows of recorded sessions: summaries, reports and event CSV (pure)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from accessibility.explained import phrase, phrases_json, say
from twin_service.messages import message
from twin_service.records.base import EventRow, SessionRow

EVENT_CSV_COLUMNS = ("seq", "ts", "time_utc", "kind", "summary", "data")


def merge_events(committed: Iterable[EventRow], pending: Iterable[EventRow]) -> list[EventRow]:
    """Committed and not-yet-committed events, each once, in time order."""
    by_seq = {e.seq: e for e in committed}
    for event in pending:
        by_seq.setdefault(event.seq, event)
    return sorted(by_seq.values(), key=lambda e: (e.ts, e.seq))


def last_step(events: Iterable[EventRow]) -> str | None:
    step = None
    for event in events:
        if event.kind in ("score", "choice", "instructor") and event.data.get("step"):
            step = event.data["step"]
    return step


def recorded_summary(row: SessionRow, events: list[EventRow]) -> dict[str, Any]:
    """The same keys as a live session's summary (``Session.summary``)."""
    return {
        "session_id": row.session_id,
        "learner_id": row.learner_id,
        "lab": row.lab,
        "kit": row.kit,
        "scenario": row.scenario,
        "step": last_step(events),
        "finished": row.state == "finished",
        "state": row.state,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
        "score": row.score,
    }


def recorded_report(row: SessionRow, events: list[EventRow]) -> dict[str, Any]:
    """A finished session's stored report; for one that did not finish (interrupted, or
    running in another replica), the report built from its events and newest score."""
    if row.state == "finished" and row.report is not None:
        return {**row.report, "state": "finished"}
    feedback = [
        {
            "id": e.data.get("id"),
            "severity": e.data.get("severity"),
            "text": e.data.get("text"),
            "topic": e.data.get("topic"),
            "delivered_at": e.ts,
            **({"phrases": e.data["phrases"]} if "phrases" in e.data else {}),
        }
        for e in events
        if e.kind == "feedback"
    ]
    intervals = [e.data["interval_ms"] for e in events if e.kind == "scan.interval"]
    interval = intervals[-1] if intervals else row.profile.get("scan_interval_ms")
    said = [
        phrase(
            "explain.record.interrupted"
            if row.state == "interrupted"
            else "explain.record.elsewhere"
        )
    ]
    return {
        **recorded_summary(row, events),
        "score": row.score or {"score": 0.0, "grade": "", "formula": "", "metrics": {}},
        "feedback": feedback,
        "scan": {"interval_ms": interval},
        "scan_explained": say(said),
        "scan_explained_phrases": phrases_json(said),
    }


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_SESSION_EVENTS = ("session.created", "session.finished", "session.interrupted", "session.resumed")


def event_summary(event: EventRow, lang: str = "en") -> str:
    """One line in words, for the CSV (English) and the debrief timeline (``lang``):
    catalogue ``record.event.*``; what the learner saw (feedback, a choice's label) stays
    as it was delivered, machine words (a switch's state, an instructor's action) as sent."""
    d = event.data
    kind = event.kind

    def m(key: str, **values: object) -> str:
        return message(lang, key, **values)

    if kind == "feedback":
        severity = str(d.get("severity", ""))
        word = message(lang, f"report.sev.{severity}") if severity else ""
        return m("record.event.feedback", severity=word.capitalize(), text=d.get("text", ""))
    if kind == "choice":
        verdict = (
            ""
            if d.get("correct") is None
            else m("record.event.right" if d["correct"] else "record.event.wrong")
        )
        if not d.get("accepted", True):
            verdict = m("record.event.not_taken", reason=d.get("reason"))
        return m(
            "record.event.choice",
            choice=d.get("label") or d.get("choice"),
            verdict=verdict,
            step=d.get("step"),
        )
    if kind == "switch":
        rt = (
            m("record.event.reaction", ms=f"{d['rt_ms']:.0f}") if d.get("rt_ms") is not None else ""
        )
        return m(
            "record.event.switch",
            switch=d.get("switch"),
            state=d.get("state"),
            outcome=d.get("outcome"),
            rt=rt,
        )
    if kind == "scan.interval":
        return m("record.event.scan", ms=d.get("interval_ms"), source=d.get("source"))
    if kind == "score":
        return m(
            "record.event.score", score=f"{float(d.get('score') or 0):.0f}", step=d.get("step")
        )
    if kind == "instructor":
        return m("record.event.instructor", action=d.get("action"), step=d.get("step"))
    if kind == "bookmark":
        return m("record.event.bookmark", note=d.get("note", ""))
    if kind in _SESSION_EVENTS or kind == "scan.restarted":  # by the page's Start
        return m("record.event." + kind.replace(".", "_"))
    return kind


def events_json(events: Iterable[EventRow]) -> list[dict[str, Any]]:
    return [{**e.to_json(), "summary": event_summary(e)} for e in events]


def events_csv(events: Iterable[EventRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EVENT_CSV_COLUMNS)
    for e in events:
        writer.writerow(
            [
                e.seq,
                f"{e.ts:.3f}",
                _iso(e.ts),
                e.kind,
                event_summary(e),
                json.dumps(e.data, separators=(",", ":"), sort_keys=True),
            ]
        )
    return out.getvalue()


def points_csv(sensor: str, unit: str, points: Iterable[list[float]]) -> str:
    """A history as CSV: one row per point."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["ts", "time_utc", "sensor", "value", "unit"])
    for ts, value in points:
        writer.writerow([f"{ts:.3f}", _iso(ts), sensor, value, unit])
    return out.getvalue()
