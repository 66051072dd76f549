"""``GET /api/v1/tokens`` and ``POST /api/v1/tokens/revoke`` in process (a contract
addition, issue 7: instructor tokens revocable without a restart)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.app import app_client
from twin_service.auth.tokens import digest

A, B, C = ("tokens-api-" + uuid.uuid4().hex for _ in range(3))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def shown(token: str) -> str:
    return digest(token).hex()[:12]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(f"{A}, {B},{C}") as (_, made):
        yield made


async def test_tokens_are_listed_by_digest_prefix_never_in_clear(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/tokens", headers=auth(B))
    assert response.status_code == 200
    assert response.json() == [
        {"digest": shown(A), "revoked": False},
        {"digest": shown(B), "revoked": False},
        {"digest": shown(C), "revoked": False},
    ]
    assert A not in response.text and digest(A).hex() not in response.text


async def test_a_revoked_token_is_refused_at_once_and_the_others_still_work(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/api/v1/twins", headers=auth(A))).status_code == 200
    response = await client.post("/api/v1/tokens/revoke", json={"token": A}, headers=auth(B))
    assert response.status_code == 200, response.text
    assert response.json() == {"digest": shown(A), "revoked": True, "websockets_closed": 0}
    assert (await client.get("/api/v1/twins", headers=auth(A))).status_code == 401
    assert (await client.get("/api/v1/twins", headers=auth(B))).status_code == 200
    listing = (await client.get("/api/v1/tokens", headers=auth(C))).json()
    assert [t["revoked"] for t in listing] == [True, False, False]


async def test_a_token_is_revoked_by_its_digest_and_the_last_one_is_kept(
    client: httpx.AsyncClient,
) -> None:
    by_prefix = await client.post(
        "/api/v1/tokens/revoke", json={"digest": shown(A)}, headers=auth(C)
    )
    assert by_prefix.status_code == 200, by_prefix.text
    by_digest = await client.post(
        "/api/v1/tokens/revoke", json={"digest": digest(C).hex()}, headers=auth(C)
    )
    assert by_digest.status_code == 200, by_digest.text  # its own token: allowed
    assert (await client.get("/api/v1/twins", headers=auth(C))).status_code == 401
    last = await client.post("/api/v1/tokens/revoke", json={"token": B}, headers=auth(B))
    assert last.status_code == 409
    assert "last instructor token" in last.json()["detail"]
    assert (await client.get("/api/v1/twins", headers=auth(B))).status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"token": "not-a-configured-token-123"}, 404),
        ({"digest": "0" * 64}, 404),
        ({"digest": "abc"}, 422),
        ({}, 422),
        ({"token": A, "digest": "0" * 64}, 422),
        ({"token": A, "extra": 1}, 422),
    ],
)
async def test_a_bad_revocation_request_changes_nothing(
    client: httpx.AsyncClient, body: dict[str, object], status: int
) -> None:
    response = await client.post("/api/v1/tokens/revoke", json=body, headers=auth(B))
    assert response.status_code == status, response.text
    assert (await client.get("/api/v1/twins", headers=auth(A))).status_code == 200


async def test_the_token_routes_need_an_instructor_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/tokens")).status_code == 401
    refused = await client.post("/api/v1/tokens/revoke", json={"token": A}, headers=auth("x" * 20))
    assert refused.status_code == 401
    assert (await client.get("/api/v1/twins", headers=auth(A))).status_code == 200
