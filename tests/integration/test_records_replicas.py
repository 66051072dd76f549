"""Issue 14, must-show 2: on PostgreSQL, a second API replica reads a session's record,
while it runs and after the replica running it was SIGKILLed and restarted."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.records import answer, start_session
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_api_replica_reads_the_record_from_postgresql(
    mqtt_url: str, tmp_path: Path, postgres_url: str
) -> None:
    records = {"ACCESSTWIN_RECORDS": postgres_url}
    main = ServiceProcess(mqtt_url=mqtt_url, db_path=tmp_path / "main.db", extra_env=records)
    replica = ServiceProcess(
        mqtt_url=mqtt_url,
        db_path=tmp_path / "replica.db",
        prefix=main.prefix,
        extra_env={**records, "ACCESSTWIN_ROLE": "api"},
    )
    main.start()
    replica.start()
    other = httpx.Client(base_url=replica.base_url, headers=replica.headers, timeout=10)
    try:
        session = start_session(main, "lrn-pg")
        answer(main, session, ["concerned"])
        time.sleep(1.0)
        sid = session.session_id

        running = other.get(f"/api/v1/sessions/{sid}").json()
        assert (running["state"], running["learner_id"]) == ("running", "lrn-pg")
        events = other.get(f"/api/v1/sessions/{sid}/events").json()["events"]
        assert any(e["kind"] == "choice" and e["choice"] == "concerned" for e in events)
        report = other.get(f"/api/v1/sessions/{sid}/report").json()
        assert [d["step"] for d in report["score"]["decisions"] if d["first_try"]] == ["observe"]
        # The replica's learner-token check reads the recorded token digest.
        own = httpx.get(
            f"{replica.base_url}/api/v1/sessions/{sid}/report",
            params={"token": session.token},
            timeout=10,
        )
        assert own.status_code == 200

        main.kill()
        main.start()
        after = other.get(f"/api/v1/sessions/{sid}").json()
        assert after["state"] == "interrupted"
        listing = other.get("/api/v1/learners/lrn-pg/sessions").json()["sessions"]
        assert [(s["session_id"], s["state"]) for s in listing] == [(sid, "interrupted")]
        kinds = [e["kind"] for e in other.get(f"/api/v1/sessions/{sid}/events").json()["events"]]
        assert kinds[-1] == "session.interrupted"
        csv_text = other.get(f"/api/v1/sessions/{sid}/events", params={"format": "csv"}).text
        assert csv_text.count("\r\n") == len(kinds) + 1
        # Unknown ids: 404 with the reason, from either replica.
        missing = other.get("/api/v1/sessions/0000000000000000/events")
        assert missing.status_code == 404
        assert "no such session" in missing.json()["detail"]
        assert other.get("/api/v1/learners/nobody/sessions").status_code == 404
    finally:
        other.close()
        replica.stop()
        main.stop()
