"""Per-learner switch timing (docs/interface.md: debounce_ms 0-500, hold_ms 0-1000):
accepted into the profile, applied by the session's scan machine, refused with a 422 that
names the field when out of range."""

from __future__ import annotations

import uuid

import pytest

from accessibility.model import Choice
from gateway.identifiers import KitRef
from tests.support.app import app_client
from twin_service.sessions.manager import SessionManager

TOKEN = "timing-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("debounce_ms", 501),
        ("debounce_ms", -1),
        ("hold_ms", 1001),
        ("hold_ms", 2.5),
        ("post_select_ms", 2001),
        ("post_select_ms", -5),
    ],
)
async def test_out_of_range_timing_is_a_422_naming_the_field(field: str, bad: object) -> None:
    async with app_client(TOKEN, headers=AUTH) as (_, client):
        got = await client.put("/api/v1/learners/l1/profile", json={field: bad})
        assert got.status_code == 422
        assert any(field in err["loc"] for err in got.json()["detail"]), got.json()


async def test_timing_reaches_the_scan_machine_of_a_new_session() -> None:
    async with app_client(TOKEN, headers=AUTH) as (runtime, client):
        put = await client.put(
            "/api/v1/learners/l2/profile", json={"debounce_ms": 300, "hold_ms": 400}
        )
        assert put.status_code == 200
        assert (put.json()["debounce_ms"], put.json()["hold_ms"]) == (300, 400)
        got = (await client.get("/api/v1/learners/l2/profile")).json()
        assert (got["debounce_ms"], got["hold_ms"]) == (300, 400)
        sessions: SessionManager = runtime.sessions
        session, _ = sessions.create("l2", KitRef("lab", "k"), "vitals")
        scan = session.scan
        assert (scan.settings.debounce_ms, scan.settings.acceptance_ms) == (300, 400)
        scan.set_choices((Choice("a", "A"), Choice("b", "B")), 100.0)
        # A 200 ms tap is shorter than the 400 ms hold: not a press.
        scan.on_switch("select", "down", 100.1)
        assert scan.on_switch("select", "up", 100.3).reason == "acceptance"
        # A bounce 200 ms after a release is within the 300 ms debounce: ignored.
        assert scan.on_switch("select", "down", 100.5).reason == "debounce"


async def test_the_post_selection_delay_is_kept_and_reaches_a_new_session() -> None:
    async with app_client(TOKEN, headers=AUTH) as (runtime, client):
        assert (await client.get("/api/v1/learners/l3/profile")).json()["post_select_ms"] == 0
        put = await client.put("/api/v1/learners/l3/profile", json={"post_select_ms": 800})
        assert put.status_code == 200 and put.json()["post_select_ms"] == 800
        sessions: SessionManager = runtime.sessions
        session, _ = sessions.create("l3", KitRef("lab", "k3"), "vitals")
        assert session.scan.settings.post_select_ms == 800
