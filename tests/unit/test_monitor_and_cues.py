"""The learner page's twin view, server side: the monitor's NEWS2 judgement and read-out
(accessibility/monitor.py), the profile's ``cues`` (defaults, partial updates, 422 naming
the field), the ``twin`` frame of the session websocket and the ``read_vitals`` answer."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from accessibility.model import Cues, LearnerProfile
from accessibility.monitor import BY_NAME, monitor_spec, vitals_speech
from accessibility.scenario import load_scenario
from accesstwin_contract.groups import session_group
from gateway.identifiers import KitRef
from tests.support.app import app_client
from twin_service.live.hub import Hub
from twin_service.live.session_twin import twin_frame
from twin_service.ops.metrics import ServiceMetrics
from twin_service.sessions.learners import LearnerProfiles, ProfileUpdate
from twin_service.sessions.manager import SessionManager
from twin_service.store.memory import MemoryStore
from twin_service.twins.registry import TwinRegistry
from twin_service.twins.twin import ValueEntry

TOKEN = "cues-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    ("name", "value", "judged"),
    [
        ("hr", 77, "normal"), ("hr", 90, "normal"), ("hr", 91, "out_of_range"),
        ("hr", 130, "out_of_range"), ("hr", 131, "alarm"), ("hr", 40, "alarm"),
        ("hr", 41, "out_of_range"), ("spo2", 96, "normal"), ("spo2", 95, "out_of_range"),
        ("spo2", 93, "out_of_range"), ("spo2", 91, "alarm"), ("temp_c", 38.0, "normal"),
        ("temp_c", 39.1, "out_of_range"), ("temp_c", 35.0, "alarm"), ("resp_rate", 20, "normal"),
        ("resp_rate", 21, "out_of_range"), ("resp_rate", 25, "alarm"), ("resp_rate", 8, "alarm"),
        ("bp", 111, "normal"), ("bp", 100, "out_of_range"), ("bp", 90, "alarm"),
        ("bp", 220, "alarm"),
    ],
)  # fmt: skip
def test_news2_bands_judge_each_vital(name: str, value: float, judged: str) -> None:
    assert BY_NAME[name].judge(value) == judged


def test_normal_ranges_and_spec() -> None:
    assert BY_NAME["hr"].normal_range() == (50, 90)
    assert BY_NAME["spo2"].normal_range() == (95, None)
    spec = monitor_spec("vitals")
    assert spec["shown"] == ["hr", "spo2", "temp_c", "resp_rate", "bp"]
    assert monitor_spec("cpr")["shown"] == []


def test_vitals_read_out_in_words() -> None:
    text = vitals_speech({"hr": 77, "spo2": 93, "sbp": 88, "dbp": 52}, ("hr", "spo2", "temp_c"))
    assert text == (
        "Heart rate 77 beats a minute. Oxygen saturation 93 percent, out of range. "
        "Temperature: no reading. Blood pressure 88 over 52, alarm."
    )
    assert vitals_speech({}, ()) == "No vitals have been reported yet."


def test_cues_defaults_and_partial_update() -> None:
    assert LearnerProfile().cues == Cues(True, True, True, False, True)  # spo2 tone off
    profiles = LearnerProfiles()
    p = profiles.update("c1", ProfileUpdate.model_validate({"cues": {"spo2_tone": True}}))
    assert p.cues.spo2_tone and p.cues.metronome_sound
    p = profiles.update("c1", ProfileUpdate.model_validate({"cues": {"haptic": False}}))
    assert p.cues.spo2_tone and not p.cues.haptic  # the earlier change is kept


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(TOKEN) as (_, made):
        yield made


async def test_profile_api_takes_cues_and_names_a_bad_field(client: httpx.AsyncClient) -> None:
    url = "/api/v1/learners/cue-1/profile"
    got = (await client.get(url, headers=AUTH)).json()["cues"]
    assert got == {
        "metronome_sound": True, "metronome_visual": True, "haptic": True,
        "spo2_tone": False, "earcon": True,
    }  # fmt: skip
    put = await client.put(url, json={"cues": {"metronome_sound": False}}, headers=AUTH)
    assert put.status_code == 200, put.text
    assert put.json()["cues"]["metronome_sound"] is False
    for bad in ({"haptic": "yes"}, {"haptic": 1}, {"rumble": True}):
        refused = await client.put(url, json={"cues": bad}, headers=AUTH)
        assert refused.status_code == 422, refused.text
        where = [".".join(str(p) for p in e["loc"]) for e in refused.json()["detail"]]
        assert any(w.startswith("body.cues.") and w.endswith(next(iter(bad))) for w in where), where
    refused = await client.put(url, json={"cues": True}, headers=AUTH)
    assert refused.status_code == 422 and "cues" in refused.text


async def test_twin_frame_before_and_after_the_kit_reports() -> None:
    twins, store, kit = TwinRegistry(10), MemoryStore(), KitRef("w", "k")
    first = await twin_frame(twins, store, kit, "vitals", 10.0, 1000.0)
    assert first["type"] == "twin" and first["twin"] is None  # the page says "waiting for the kit"
    assert first["monitor"]["shown"][0] == "hr" and first["stale_after_s"] == 10.0
    twin = twins.get_or_create(kit)
    twin.apply_derived({"hr_ppg": ValueEntry(70, "bpm", 999.0, 999.5)}, 999.5)
    twin.reported["hr"] = ValueEntry(77, "bpm", 999.0, 999.5)
    frame = await twin_frame(twins, store, kit, "vitals", 10.0, 1000.0)
    assert frame["twin"]["reported"]["hr"]["value"] == 77
    assert frame["twin"]["reported"]["hr"]["stale"] is False
    assert frame["history"] == {"hr": []}  # nothing stored yet


def test_read_vitals_speaks_at_the_learners_rate() -> None:
    hub = Hub(ServiceMetrics())
    profile = LearnerProfile(speech_rate_wpm=120)
    manager = SessionManager({"vitals": load_scenario("vitals")}, hub, lambda _: profile)
    session, _ = manager.create("l1", KitRef("w", "k"), "vitals")
    queue = hub.subscribe(session_group(session.id))
    twins = TwinRegistry(10)
    twin = twins.get_or_create(KitRef("w", "k"))
    twin.reported["hr"] = ValueEntry(77, "bpm", 1.0, 1.0)
    frame = manager.read_vitals(session, twin)
    assert frame is not None
    assert manager.read_vitals(session, twin) is None  # at most one a second
    assert frame["type"] == "speech" and frame["text"].startswith("Heart rate 77 beats a minute.")
    assert frame["speech"]["rate_wpm"] == 120
    key = frame["speech"]["audio_url"].rsplit("/", 1)[-1].removesuffix(".wav")
    assert session.speech[key].rate_wpm == 120  # served by the session's speech endpoint
    assert queue.group.seq > 0
    assert manager.groups_of_kit(KitRef("w", "k")) == [session_group(session.id)]


@pytest.mark.parametrize(
    ("lang", "voice", "script"),
    [("ar", "ar", "[\u0600-\u06ff]"), ("zh", "cmn", "[\u4e00-\u9fff]")],
)
def test_read_vitals_in_the_learners_language_and_voice(lang: str, voice: str, script: str) -> None:
    """Issue 16 gap: "Read the vitals" is said in Arabic / Chinese, with the numbers in the
    Western digits and the states in the glossary's words, by that language's voice."""
    text = vitals_speech({"hr": 77, "spo2": 93, "sbp": 88, "dbp": 52}, ("hr", "temp_c"), lang)
    assert re.search(script, text) and not re.search(r"[A-Za-z]", text), text
    assert all(n in text for n in ("77", "93", "88", "52")), text
    hub = Hub(ServiceMetrics())
    profile = LearnerProfile(language=lang)
    manager = SessionManager({"vitals": load_scenario("vitals")}, hub, lambda _: profile)
    session, _ = manager.create("l1", KitRef("w", "k"), "vitals")
    twin = TwinRegistry(10).get_or_create(KitRef("w", "k"))
    twin.reported["spo2"] = ValueEntry(90, "%", 1.0, 1.0)
    frame = manager.read_vitals(session, twin)
    assert frame is not None and re.search(script, frame["text"]), frame
    key = frame["speech"]["audio_url"].rsplit("/", 1)[-1].removesuffix(".wav")
    assert session.speech[key].voice == voice
    assert "90" in session.speech[key].text
