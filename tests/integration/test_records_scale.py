"""Issue 14, must-show 3: 2,000 finished sessions, then a new one (no 409); memory flat.

Finished sessions leave memory (after a short linger, at most LINGER_MAX of them); the
limit of 1,000 is on running sessions. RSS is read from /proc at 500, 1,000 and 2,000
finished sessions and printed (run with -s to see it).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOTAL = 2_000
FLAT_MB = 25.0  # growth allowed from 500 to 2,000 finished sessions (allocator noise)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.timeout(600)
def test_two_thousand_finished_sessions_then_one_more(mqtt_url: str, tmp_path: Path) -> None:
    service = ServiceProcess(mqtt_url=mqtt_url, db_path=tmp_path / "twin.db")
    service.start()
    assert service.process is not None
    pid = service.process.pid
    rss: dict[int, float] = {}
    try:
        with httpx.Client(base_url=service.base_url, headers=service.headers, timeout=30) as c:
            for i in range(1, TOTAL + 1):
                created = c.post(
                    "/api/v1/sessions",
                    json={"learner_id": f"l{i % 50}", "lab": "ward", "kit": f"k{i % 20}",
                          "scenario": "vitals" if i % 2 else "cpr"},
                )  # fmt: skip
                assert created.status_code == 201, (i, created.text)
                stopped = c.post(f"/api/v1/sessions/{created.json()['session_id']}/stop")
                assert stopped.status_code == 200
                if i in (500, 1_000, TOTAL):
                    rss[i] = rss_mb(pid)
            extra = c.post(
                "/api/v1/sessions",
                json={"learner_id": "l-new", "lab": "ward", "kit": "k0", "scenario": "vitals"},
            )
            assert extra.status_code == 201, extra.text
            live = c.get("/api/v1/sessions").json()
            assert len(live) <= 201  # the running one and at most LINGER_MAX finished ones
            listing = c.get("/api/v1/learners/l1/sessions").json()["sessions"]
            assert len(listing) == TOTAL // 50
            assert all(s["state"] == "finished" for s in listing)
            metrics = c.get("/metrics").text
            assert "accesstwin_sessions_running 1.0" in metrics
        print(f"\nRSS of the service after N finished sessions (MB): {rss}")
        assert rss[TOTAL] - rss[500] < FLAT_MB, rss
    finally:
        service.stop()
