"""The profile fields of more ways in (docs/interface.md): ``keys``, ``gamepad``,
``pointer_dwell_ms``, ``auditory_scan``, ``group_scan``. Accepted, returned whole, kept
across a records round trip, and each refused with a 422 naming it when out of range."""

from __future__ import annotations

import uuid

import pytest

from accessibility.model import TWO_SWITCH_KEYS, GamepadButtons, LearnerProfile, SwitchKeys
from tests.support.app import app_client
from twin_service.sessions.learners import (
    LearnerProfiles,
    ProfileUpdate,
    profile_from_json,
    profile_json,
)

TOKEN = "inputs-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("pointer_dwell_ms", 299),
        ("pointer_dwell_ms", 5001),
        ("pointer_dwell_ms", "1200"),
        ("gamepad", {"select": 17, "next": 1}),
        ("gamepad", {"select": -1, "next": 1}),
        ("gamepad", {"select": 2, "next": 2}),
        ("gamepad", {"select": 0}),
        ("keys", {"select": "Space", "next": "Space"}),
        ("keys", {"select": "space bar", "next": "Enter"}),
        ("keys", {"select": "", "next": "Enter"}),
        ("keys", {"select": "Space", "next": "Enter", "back": "KeyB"}),
        ("auditory_scan", "yes"),
        ("group_scan", 1),
    ],
)
async def test_out_of_range_input_field_is_a_422_naming_it(field: str, bad: object) -> None:
    async with app_client(TOKEN, headers=AUTH) as (_, client):
        got = await client.put("/api/v1/learners/l1/profile", json={field: bad})
        assert got.status_code == 422, got.text
        assert any(field in err["loc"] for err in got.json()["detail"]), got.json()


async def test_input_fields_are_kept_and_returned_whole() -> None:
    async with app_client(TOKEN, headers=AUTH) as (_, client):
        body = {
            "keys": {"select": "KeyJ", "next": "KeyF"},
            "gamepad": {"select": 3, "next": 2},
            "pointer_dwell_ms": 1200,
            "auditory_scan": True,
            "group_scan": True,
        }
        put = await client.put("/api/v1/learners/l2/profile", json=body)
        assert put.status_code == 200, put.text
        got = (await client.get("/api/v1/learners/l2/profile")).json()
        assert {k: got[k] for k in body} == body
        # null turns dwell off; fields left out keep their value.
        off = await client.put("/api/v1/learners/l2/profile", json={"pointer_dwell_ms": None})
        assert off.json()["pointer_dwell_ms"] is None
        assert off.json()["gamepad"] == {"select": 3, "next": 2}


def test_defaults_follow_the_contract() -> None:
    got = profile_json(LearnerProfile())
    assert got["keys"] == {"select": "Space", "next": "Enter"}
    assert got["gamepad"] == {"select": 0, "next": 1}
    assert got["pointer_dwell_ms"] is None
    assert (got["auditory_scan"], got["group_scan"]) == (False, False)


def test_two_switches_get_space_to_move_unless_the_learner_has_own_keys() -> None:
    profiles = LearnerProfiles()
    two = profiles.update("a", ProfileUpdate.model_validate({"switch_count": 2}))
    assert two.keys == TWO_SWITCH_KEYS
    back = profiles.update("a", ProfileUpdate.model_validate({"switch_count": 1}))
    assert back.keys == SwitchKeys()
    own = {"keys": {"select": "KeyJ", "next": "KeyF"}}
    profiles.update("b", ProfileUpdate.model_validate(own))
    kept = profiles.update("b", ProfileUpdate.model_validate({"switch_count": 2}))
    assert kept.keys == SwitchKeys("KeyJ", "KeyF")


def test_a_recorded_profile_loads_with_its_nested_parts() -> None:
    profile = LearnerProfile(
        keys=SwitchKeys("KeyJ", "KeyF"),
        gamepad=GamepadButtons(3, 2),
        pointer_dwell_ms=900,
        auditory_scan=True,
    )
    stored = profile_json(profile)
    assert profile_from_json(stored) == profile
    # A record from before these fields, or with fields of a newer version, still loads.
    old = {k: v for k, v in stored.items() if k not in ("keys", "gamepad")}
    old["future_field"] = 1
    assert profile_from_json(old) == LearnerProfile(pointer_dwell_ms=900, auditory_scan=True)
