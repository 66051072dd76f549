"""Issue 14, faults: the records database away at start-up (one line, exit 2) and while
running (sessions go on, events are kept and written when it returns; /readyz and
/metrics say so). PostgreSQL is reached through a TCP proxy the test cuts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.support.broker import free_port
from tests.support.records import answer, start_session
from tests.support.service import TOKEN, ServiceProcess
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def metric(service: ServiceProcess, name: str) -> float:
    text = httpx.get(service.base_url + "/metrics", timeout=10).text
    return float(next(x for x in text.splitlines() if x.startswith(name + " ")).split()[-1])


def test_records_database_away_at_start_up_is_one_line_and_exit_2(tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    done = subprocess.run(
        [sys.executable, "-m", "twin_service.cli", "serve"],
        env={"PATH": "/usr/bin:/bin", "ACCESSTWIN_RECORDS": url, "ACCESSTWIN_API_TOKEN": TOKEN,
             "ACCESSTWIN_STORE": f"sqlite:///{tmp_path / 'twin.db'}"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("accesstwin:")]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("accesstwin: ACCESSTWIN_RECORDS: records database postgresql://")
    assert "Traceback" not in done.stderr


def test_records_database_away_while_running(
    mqtt_url: str, tmp_path: Path, postgres_url: str
) -> None:
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    via_proxy = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    service = ServiceProcess(
        mqtt_url=mqtt_url, db_path=tmp_path / "twin.db", extra_env={"ACCESSTWIN_RECORDS": via_proxy}
    )
    service.start()
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=20)
    try:
        session = start_session(service, "lrn-away")
        proxy.cut()
        answer(service, session, ["concerned"])  # the session goes on in memory
        deadline = time.monotonic() + 20
        while (
            metric(service, "accesstwin_records_database_up") != 0 and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        assert metric(service, "accesstwin_records_database_up") == 0
        assert metric(service, "accesstwin_records_pending") > 0
        ready = httpx.get(service.base_url + "/readyz", timeout=20)
        assert ready.status_code == 503
        assert ready.json()["records_writable"] is False
        # While away, the running session's timeline is still shown (from the queue).
        events = client.get(f"/api/v1/sessions/{session.session_id}/events").json()["events"]
        assert any(e["kind"] == "choice" for e in events)

        proxy.restore()
        deadline = time.monotonic() + 30
        while metric(service, "accesstwin_records_pending") > 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert metric(service, "accesstwin_records_pending") == 0
        assert metric(service, "accesstwin_records_database_up") == 1
        assert httpx.get(service.base_url + "/readyz", timeout=20).status_code == 200
        assert "records database away" in service.log()
        service.kill()  # nothing left only in memory: the database has it all
        service.start()
        events = client.get(f"/api/v1/sessions/{session.session_id}/events").json()["events"]
        choice = [e for e in events if e["kind"] == "choice"]
        assert [(e["step"], e["choice"]) for e in choice] == [("observe", "concerned")]
        assert events[-1]["kind"] == "session.interrupted"
    finally:
        client.close()
        service.stop()
        proxy.stop()
