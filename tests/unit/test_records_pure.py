"""Pure parts of the records: URLs, xAPI statements, event views and CSV."""

from __future__ import annotations

import csv
import io

import pytest

from twin_service.records.base import EventRow, SessionRow
from twin_service.records.url import check_records_url, default_records_url, redact
from twin_service.records.views import events_csv, merge_events, recorded_report
from twin_service.records.xapi import VERBS, SessionContext, statement_id, statements_for

CTX = SessionContext("http://svc.test", "s1", "lrn", "ward", "k1", "cpr", "CPR")


def test_records_default_beside_the_history() -> None:
    assert default_records_url("sqlite:///./accesstwin.db") == "sqlite:///accesstwin-records.db"
    assert (
        default_records_url("sqlite:////var/lib/x/twin.db")
        == "sqlite:////var/lib/x/twin-records.db"
    )
    assert default_records_url("memory://") == "sqlite://"
    assert default_records_url("influxdb://t@h:8086/o/b") == "sqlite:///./accesstwin-records.db"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://x/y", "unknown records database"),
        ("postgresql://u:pw@/db", "no host"),
        ("postgresql://u@h:5432/", "no database name"),
        ("sqlite:///no/such/dir/r.db", "does not exist"),
    ],
)
def test_bad_records_urls_say_why(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_records_url(url)


def test_passwords_are_redacted() -> None:
    assert redact("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db"


def test_statement_ids_are_fixed_by_session_seq_and_verb() -> None:
    assert statement_id("s1", 3, "answered") == statement_id("s1", 3, "answered")
    assert statement_id("s1", 3, "answered") != statement_id("s1", 4, "answered")
    assert statement_id("s1", 3, "scored") != statement_id("s1", 3, "completed")


def test_finished_event_gives_scored_completed_terminated_with_cpr_extensions() -> None:
    score = {"kind": "cpr", "score": 80.0, "metrics": {"depth_in_target_pct": 75.0, "x": None}}
    out = statements_for(CTX, EventRow("s1", 9, 100.0, "session.finished", {"score": score}))
    assert [s["verb"]["id"] for s in out] == [
        VERBS[v] for v in ("scored", "completed", "terminated")
    ]
    scored = out[0]
    assert scored["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "http://svc.test", "name": "lrn"},
    }
    assert scored["result"]["score"] == {"scaled": 0.8, "raw": 80.0, "min": 0, "max": 100}
    assert scored["result"]["extensions"] == {
        "http://svc.test/xapi/extensions/cpr/depth_in_target_pct": 75.0
    }
    assert out[1]["result"]["completion"] is True
    assert scored["timestamp"] == "1970-01-01T00:01:40.000Z"
    assert statements_for(CTX, EventRow("s1", 2, 1.0, "switch", {})) == []


def test_events_merge_once_in_time_order_and_csv_has_a_row_each() -> None:
    committed = [
        EventRow("s", 1, 1.0, "session.created"),
        EventRow("s", 3, 3.0, "score", {"score": 5}),
    ]
    pending = [
        EventRow("s", 3, 3.0, "score", {"score": 5}),
        EventRow("s", 2, 2.0, "bookmark", {"note": "n"}),
    ]
    merged = merge_events(committed, pending)
    assert [e.seq for e in merged] == [1, 2, 3]
    rows = list(csv.DictReader(io.StringIO(events_csv(merged))))
    assert [r["kind"] for r in rows] == ["session.created", "bookmark", "score"]
    assert rows[1]["summary"] == "Bookmark: n"


def test_an_interrupted_report_is_built_from_its_events() -> None:
    row = SessionRow(
        "s", "lrn", "ward", "k1", "vitals", "interrupted", "o", 0.0, b"d",
        {"scan_interval_ms": 900}, score={"score": 33.0, "decisions": [{"step": "observe"}]},
    )  # fmt: skip
    events = [EventRow("s", 1, 1.0, "feedback", {"id": "f1", "severity": "info", "text": "Hi"})]
    report = recorded_report(row, events)
    assert report["state"] == "interrupted"
    assert [f["id"] for f in report["feedback"]] == ["f1"]
    assert report["scan"]["interval_ms"] == 900
