"""Learner tokens (issue 17): they open their session until the session has been finished
for ACCESSTWIN_LEARNER_TOKEN_GRACE_S, and an instructor can revoke one at any time."""

from __future__ import annotations

import uuid

from accessibility.model import LearnerProfile
from accessibility.scenario import load_scenario
from gateway.identifiers import KitRef
from tests.support.app import app_client
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.sessions.manager import SessionManager

TOKEN = "learner-tokens-" + uuid.uuid4().hex


def test_a_learner_token_expires_once_the_session_finished_plus_the_grace() -> None:
    now = [1_000.0]
    manager = SessionManager(
        {"vitals": load_scenario("vitals")},
        Hub(ServiceMetrics()),
        lambda _: LearnerProfile(),
        clock=lambda: now[0],
        learner_token_grace_s=600,
    )
    session, token = manager.create("l1", KitRef("ward", "k1"), "vitals")
    assert manager.learner_opens(session.id, token)
    now[0] = 50_000.0  # a long session is not cut short
    assert manager.learner_opens(session.id, token)
    manager.stop(session, now[0])
    now[0] += 600
    assert manager.learner_opens(session.id, token)  # reading the report
    now[0] += 1
    assert not manager.learner_opens(session.id, token)


def test_a_revoked_learner_token_is_refused_and_its_watchers_told() -> None:
    manager = SessionManager(
        {"vitals": load_scenario("vitals")}, Hub(ServiceMetrics()), lambda _: LearnerProfile()
    )
    session, token = manager.create("l1", KitRef("ward", "k1"), "vitals")
    told: list[str] = []
    manager.watch_learner_token(session, lambda: told.append("page"))
    assert manager.revoke_learner_token(session) == 1
    assert told == ["page"]
    assert not manager.learner_opens(session.id, token)


async def test_an_instructor_revokes_a_learner_token_through_the_api() -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with app_client(TOKEN) as (runtime, client):
        runtime.mqtt.publish = lambda *args, **kwargs: True  # type: ignore[method-assign]
        created = (
            await client.post(
                "/api/v1/sessions",
                json={"learner_id": "l1", "lab": "ward", "kit": "k1", "scenario": "vitals"},
                headers=auth,
            )
        ).json()
        learner = {"Authorization": f"Bearer {created['learner_token']}"}
        path = f"/api/v1/sessions/{created['session_id']}"
        assert (await client.get(path, headers=learner)).status_code == 200
        refused = await client.post(path + "/learner-token/revoke", headers=learner)
        assert refused.status_code == 401  # a learner cannot revoke
        revoked = await client.post(path + "/learner-token/revoke", headers=auth)
        assert revoked.status_code == 200, revoked.text
        assert (await client.get(path, headers=learner)).status_code == 403
        assert (await client.get(path + "/report", headers=learner)).status_code == 403
        assert (await client.get(path, headers=auth)).status_code == 200
