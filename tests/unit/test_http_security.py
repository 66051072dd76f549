"""HTTP boundaries through the FastAPI app, in process (issue 7): CORS stays closed,
pages carry security headers, reserved lab names are refused on every twin route.

The lifespan is not started: these routes need no broker or store connection.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.app import app_client
from twin_service.runtime import Runtime

TOKEN = "security-test-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OTHER_SITE = "https://evil.example"


@pytest.fixture
async def app_and_client() -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with app_client(TOKEN) as made:
        yield made


@pytest.fixture
async def client(app_and_client: tuple[Runtime, httpx.AsyncClient]) -> httpx.AsyncClient:
    return app_and_client[1]


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


async def test_a_request_from_another_site_gets_no_cors_permission(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/twins", headers={**AUTH, "Origin": OTHER_SITE})
    assert response.status_code == 200
    assert cors_headers(response) == {}
    page = await client.get("/labs/ward1", headers={"Origin": OTHER_SITE})
    assert page.status_code == 200
    assert cors_headers(page) == {}


@pytest.mark.parametrize("path", ["/api/v1/twins", "/api/v1/sessions", "/api/v1/tokens/revoke"])
async def test_a_cors_preflight_is_not_allowed(client: httpx.AsyncClient, path: str) -> None:
    response = await client.options(
        path,
        headers={
            "Origin": OTHER_SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 405
    assert cors_headers(response) == {}


def assert_page_security_headers(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    csp = [part.strip() for part in response.headers["content-security-policy"].split(";")]
    assert "default-src 'self'" in csp
    assert "connect-src 'self'" in csp  # no websocket or fetch to any other host
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "base-uri 'none'" in csp
    assert not any("unsafe-inline" in part or "unsafe-eval" in part for part in csp)


async def test_dashboard_and_learner_pages_carry_security_headers(
    client: httpx.AsyncClient,
) -> None:
    assert_page_security_headers(await client.get("/labs/ward1"))
    assert_page_security_headers(await client.get("/learn/s123"))


async def test_the_report_page_carries_security_headers(
    app_and_client: tuple[Runtime, httpx.AsyncClient],
) -> None:
    runtime, client = app_and_client
    runtime.mqtt.publish = lambda *args, **kwargs: True  # type: ignore[method-assign]
    created = await client.post(
        "/api/v1/sessions",
        json={"learner_id": "L1", "lab": "ward1", "kit": "k1", "scenario": "cpr"},
        headers=AUTH,
    )
    assert created.status_code == 201, created.text
    session_id = created.json()["session_id"]
    learner = {"Authorization": f"Bearer {created.json()['learner_token']}"}
    report = await client.get(f"/api/v1/sessions/{session_id}/report?format=html", headers=learner)
    assert_page_security_headers(report)
    assert "Session report" in report.text


async def test_json_responses_carry_nosniff_but_no_page_csp(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/twins", headers=AUTH)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers


RESERVED = ["_twin", "_rejected", "_unknown", "_x"]


def record_publishes(runtime: Runtime) -> list[tuple[Any, ...]]:
    """What the runtime publishes to MQTT from now on (nothing reaches a broker)."""
    published: list[tuple[Any, ...]] = []
    runtime.mqtt.publish = lambda *args, **kw: published.append(args) or True  # type: ignore[method-assign]
    return published


@pytest.mark.parametrize("lab", RESERVED)
async def test_reserved_lab_names_are_refused_on_every_twin_route(
    app_and_client: tuple[Runtime, httpx.AsyncClient], lab: str
) -> None:
    runtime, client = app_and_client
    published = record_publishes(runtime)
    base = f"/api/v1/twins/{lab}/k1"
    responses = [
        await client.put(base + "/desired", json={"scenario": "cpr"}, headers=AUTH),
        await client.get(base, headers=AUTH),
        await client.get(base + "/history", params={"sensor": "hr"}, headers=AUTH),
    ]
    for response in responses:
        assert response.status_code == 422, response.text
        assert "reserved" in response.json()["detail"]
    assert published == []
    assert len(runtime.twins) == 0


async def test_reserved_lab_check_comes_after_authentication(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/twins/_twin/k1/desired", json={})
    assert response.status_code == 401


async def test_an_ordinary_lab_with_an_underscore_inside_is_accepted(
    app_and_client: tuple[Runtime, httpx.AsyncClient],
) -> None:
    runtime, client = app_and_client
    published: list[str] = []
    runtime.mqtt.publish = lambda topic, *a, **kw: published.append(topic) or True  # type: ignore[method-assign]
    response = await client.put(
        "/api/v1/twins/ward_1/k_1/desired", json={"buzzer": True}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    assert published == [runtime.settings.topics.prefix + "/ward_1/k_1/desired"]


@pytest.mark.parametrize("lab", RESERVED)
async def test_reserved_labs_have_no_session_and_no_dashboard(
    app_and_client: tuple[Runtime, httpx.AsyncClient], lab: str
) -> None:
    runtime, client = app_and_client
    published = record_publishes(runtime)
    body = {"learner_id": "l1", "lab": lab, "kit": "k1", "scenario": "cpr"}
    response = await client.post("/api/v1/sessions", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert "reserved" in response.text
    assert published == []
    assert (await client.get(f"/labs/{lab}")).status_code == 404


async def test_no_page_loads_scripts_from_another_host(client: httpx.AsyncClient) -> None:
    """Issue 17: /docs is Swagger UI served by the service (no CDN script without SRI),
    under the pages' CSP; /redoc (CDN only) is off."""
    assert (await client.get("/redoc")).status_code == 404
    assert (await client.get("/openapi.json")).status_code == 200
    docs = await client.get("/docs")
    assert_page_security_headers(docs)
    for path in ("/labs/ward1", "/learn/s123", "/docs"):
        page = (await client.get(path)).text
        assert "http://" not in page and "https://" not in page and "//cdn" not in page
        for src in re.findall(r'<script[^>]*src="([^"]+)"', page):
            assert src.startswith("/"), src  # same origin
            assert (await client.get(src)).status_code == 200, src
    assert "<script>" not in docs.text  # no inline script (CSP)
