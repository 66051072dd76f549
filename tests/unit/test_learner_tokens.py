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


def test_a_report_ticket_opens_one_sessions_report_for_a_minute() -> None:
    from twin_service.auth.report_links import ReportTickets

    now = [100.0]
    tickets = ReportTickets(ttl_s=60, max_tickets=2, clock=lambda: now[0])
    ticket, expires_at = tickets.issue("s1")
    assert expires_at == 160.0
    assert tickets.opens("s1", ticket)
    assert not tickets.opens("s2", ticket)
    assert not tickets.opens("s1", "guess")
    now[0] = 160.5
    assert not tickets.opens("s1", ticket)
    first, _ = tickets.issue("s1")
    tickets.issue("s1")
    tickets.issue("s1")  # bounded: the oldest goes
    assert not tickets.opens("s1", first)


async def test_the_dashboards_report_link_opens_the_report_only_and_holds_no_token() -> None:
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
        sid = created["session_id"]
        link = (await client.post(f"/api/v1/sessions/{sid}/report-link", headers=auth)).json()
        assert TOKEN not in link["url"] and "token=" not in link["url"]
        report = await client.get(link["url"])
        assert report.status_code == 200 and "Session report" in report.text
        ticket = link["url"].split("ticket=")[1]
        for other in (f"/api/v1/sessions/{sid}", f"/api/v1/twins?ticket={ticket}"):
            assert (await client.get(other, params={"ticket": ticket})).status_code in (401, 403)
        learner_link = await client.post(
            f"/api/v1/sessions/{sid}/report-link",
            headers={"Authorization": f"Bearer {created['learner_token']}"},
        )
        assert learner_link.status_code == 401
