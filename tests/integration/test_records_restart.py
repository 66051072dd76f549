"""Issue 14, must-show 1: SIGKILL mid-session; after a restart the record is all there.

On a real SQLite file and on a real PostgreSQL database (``records_url``).
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import httpx
import pytest

from tests.support.records import answer, start_session
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_sigkill_mid_session_keeps_the_record(
    mqtt_url: str, tmp_path: Path, records_url: str
) -> None:
    service = ServiceProcess(
        mqtt_url=mqtt_url,
        db_path=tmp_path / "twin.db",
        extra_env={"ACCESSTWIN_RECORDS": records_url},
    )
    service.start()
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    try:
        put = httpx.put(
            service.base_url + "/api/v1/learners/lrn-1/profile",
            headers=service.headers,
            json={"scan_interval_ms": 1500, "speech_rate_wpm": 170},
            timeout=10,
        )
        assert put.status_code == 200
        session = start_session(service, "lrn-1")
        answer(service, session, ["concerned"])  # step "observe" answered, right first time
        time.sleep(1.0)  # what a crash may lose: at most the last second
        service.kill()
        service.start()
        sid = session.session_id

        profile = client.get("/api/v1/learners/lrn-1/profile").json()
        assert profile["scan_interval_ms"] == 1500
        assert profile["speech_rate_wpm"] == 170

        summary = client.get(f"/api/v1/sessions/{sid}").json()
        assert summary["state"] == "interrupted"
        assert summary["finished"] is False

        report = client.get(f"/api/v1/sessions/{sid}/report").json()
        decisions = report["score"]["decisions"]
        assert [d["step"] for d in decisions if d["first_try"]] == ["observe"]
        recorded_ids = [f["id"] for f in report["feedback"]]
        assert [f["id"] for f in session.feedback] == recorded_ids[: len(session.feedback)]
        assert set(recorded_ids) == {f["id"] for f in session.feedback}
        page = client.get(f"/api/v1/sessions/{sid}/report", params={"format": "html"})
        assert page.status_code == 200
        assert "Interrupted" in page.text

        listing = client.get("/api/v1/learners/lrn-1/sessions").json()["sessions"]
        assert [(s["session_id"], s["state"]) for s in listing] == [(sid, "interrupted")]

        events = client.get(f"/api/v1/sessions/{sid}/events").json()["events"]
        kinds = [e["kind"] for e in events]
        assert kinds[0] == "session.created"
        assert kinds[-1] == "session.interrupted"
        assert "switch" in kinds
        choice = next(e for e in events if e["kind"] == "choice")
        assert (choice["step"], choice["choice"], choice["correct"]) == (
            "observe",
            "concerned",
            True,
        )
        assert [e["id"] for e in events if e["kind"] == "feedback"] == recorded_ids
        assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)

        text = client.get(f"/api/v1/sessions/{sid}/events", params={"format": "csv"})
        assert text.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(text.text)))
        assert [r["kind"] for r in rows] == kinds
        assert [int(r["seq"]) for r in rows] == [e["seq"] for e in events]

        # The learner's own token reads the record too; the instructor resumes it.
        own = httpx.get(
            f"{service.base_url}/api/v1/sessions/{sid}/events",
            params={"token": session.token},
            timeout=10,
        )
        assert own.status_code == 200
        # ... its report, its profile and its list of sessions, through the one admission
        # rule (the guard cannot decide a recorded session's token; the route asks it).
        for path in (
            f"/api/v1/sessions/{sid}",
            f"/api/v1/sessions/{sid}/report",
            "/api/v1/learners/lrn-1/profile",
            "/api/v1/learners/lrn-1/sessions",
        ):
            mine = httpx.get(service.base_url + path, params={"token": session.token}, timeout=10)
            assert mine.status_code == 200, (path, mine.text)
        wrong = httpx.get(
            f"{service.base_url}/api/v1/sessions/{sid}/events",
            params={"token": "not-the-learner-token-0123456789"},
            timeout=10,
        )
        assert wrong.status_code == 403
        other = httpx.get(
            service.base_url + "/api/v1/learners/someone-else/sessions",
            params={"token": session.token},
            timeout=10,
        )
        assert other.status_code == 403
        # A report link works for a recorded report too.
        link = client.post(f"/api/v1/sessions/{sid}/report-link").json()["url"]
        linked = httpx.get(service.base_url + link, timeout=10)
        assert linked.status_code == 200
        assert "Interrupted" in linked.text
        resumed = client.post(f"/api/v1/sessions/{sid}/resume")
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["state"] == "running"
        assert resumed.json()["step"] == "recognise"  # the answered step stays answered
        assert (
            client.get(f"/api/v1/sessions/{sid}/report").json()["score"]["decisions"][0]["step"]
            == "observe"
        )
        again = client.post(f"/api/v1/sessions/{sid}/resume")
        assert again.status_code == 409
    finally:
        client.close()
        service.stop()
