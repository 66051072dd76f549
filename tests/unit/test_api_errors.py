"""API refusals carry a stable machine code beside the unchanged English detail (additive:
old clients keep reading ``detail``), and every code the API raises has its words in every
catalogue (error.{code}), so the pages say the refusal in their language."""

from __future__ import annotations

import re
from importlib import resources

from tests.unit.test_languages import AUTH, TOKEN, app_client
from twin_service.api.errors import STATUS_CODES
from twin_service.messages import catalogue_file

RAISED = re.compile(r'CodedError\(\s*\d{3},\s*"([a-z_]+)"')


def raised_codes() -> set[str]:
    api = resources.files("twin_service").joinpath("api")
    return {
        code
        for f in api.iterdir()
        if f.name.endswith(".py")
        for code in RAISED.findall(f.read_text("utf-8"))
    }


def test_every_code_the_api_raises_has_words_in_every_language() -> None:
    codes = raised_codes()
    assert {"unknown_scenario", "too_many_sessions", "no_such_session"} <= codes
    for lang in ("en", "ar", "zh"):
        words = catalogue_file(lang)
        assert sorted(c for c in codes | {"invalid_request"} if f"error.{c}" not in words) == []
    assert set(STATUS_CODES.values()) >= {"not_found", "conflict", "invalid_request"}


async def test_refusals_keep_their_detail_and_add_a_code() -> None:
    async with app_client(TOKEN, headers=AUTH) as (_, client):
        unknown = await client.post(
            "/api/v1/sessions",
            json={"learner_id": "e1", "lab": "ward", "kit": "k1", "scenario": "nope"},
        )
        assert unknown.status_code == 404
        body = unknown.json()
        assert body["detail"].startswith("unknown scenario 'nope'")  # as before
        assert body["code"] == "unknown_scenario" and body["values"] == {"scenario": "nope"}
        bad = await client.put("/api/v1/learners/e1/profile", json={"language": "fr"})
        assert bad.status_code == 422 and isinstance(bad.json()["detail"], list)  # FastAPI's
        assert bad.json()["code"] == "invalid_request"
        assert bad.json()["values"] == {"fields": "language"}
        practice = await client.post("/api/v1/sessions/nosuch/timing/accept")
        assert practice.json() == {
            "detail": "no such session", "code": "no_such_session", "values": {}
        }  # fmt: skip
        plain = await client.get("/api/v1/not-a-route")
        assert plain.status_code == 404 and plain.json()["code"] == "not_found"
