"""The profile field ``theme`` ("light" default, "dark"): the API accepts it (422 for
anything else) and feedback is rendered with the dark AAA theme, ratios computed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from accessibility.contrast import AAA_TEXT, UI_MIN, contrast_ratio, relative_luminance
from accessibility.model import Choice, Feedback, LearnerProfile
from accessibility.render import render_feedback
from accessibility.theme import DARK_AAA, SEVERITIES
from tests.support.app import app_client

TOKEN = "theme-profile-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def feedback(severity: str) -> Feedback:
    return Feedback(
        id=f"f-{severity}",
        topic="prompt",
        severity=severity,  # type: ignore[arg-type]
        text="How is this patient?",
        speech_text="How is this patient?",
        icon="info",
        choices=(Choice("a", "Stable"),),
    )


def visual(profile: LearnerProfile, severity: str) -> dict[str, object]:
    frame, _ = render_feedback(feedback(severity), profile, {"mode": "auto"}, "/audio")
    return dict(frame["visual"])


def test_default_profile_is_light() -> None:
    assert LearnerProfile().theme == "light"
    assert visual(LearnerProfile(), "info")["theme"] == "light-aaa"
    assert visual(LearnerProfile(contrast="aa"), "info")["theme"] == "light-aa"


@pytest.mark.parametrize("contrast", ["aaa", "aa"])
@pytest.mark.parametrize("severity", SEVERITIES)
def test_a_dark_profile_renders_dark_aaa_tokens(contrast: str, severity: str) -> None:
    # No dark AA theme ships: dark + aa gets DARK_AAA too, which exceeds AA.
    v = visual(LearnerProfile(theme="dark", contrast=contrast), severity)  # type: ignore[arg-type]
    assert v["theme"] == DARK_AAA.name
    assert v["page_bg"] == DARK_AAA.bg and v["page_fg"] == DARK_AAA.fg
    assert v["highlight"] == DARK_AAA.scan_highlight
    page_fg, page_bg = str(v["page_fg"]), str(v["page_bg"])
    fg, bg, highlight = str(v["fg"]), str(v["bg"]), str(v["highlight"])
    assert relative_luminance(page_bg) < 0.02  # dark page
    assert relative_luminance(bg) < 0.05  # dark card
    assert contrast_ratio(page_fg, page_bg) >= AAA_TEXT
    assert contrast_ratio(fg, bg) >= AAA_TEXT
    assert v["contrast_ratio"] == round(contrast_ratio(fg, bg), 2) >= AAA_TEXT
    for ui in (highlight, str(v["focus"]), str(v["border"])):
        assert contrast_ratio(ui, page_bg) >= UI_MIN
        assert contrast_ratio(ui, bg) >= UI_MIN


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(TOKEN) as (_, made):
        yield made


async def test_profile_api_takes_theme_and_refuses_unknown_values(
    client: httpx.AsyncClient,
) -> None:
    url = "/api/v1/learners/dark-1/profile"
    assert (await client.get(url, headers=AUTH)).json()["theme"] == "light"
    put = await client.put(url, json={"theme": "dark"}, headers=AUTH)
    assert put.status_code == 200, put.text
    assert put.json()["theme"] == "dark"
    # additive: other fields keep their values, and a later update keeps the theme
    put = await client.put(url, json={"contrast": "aa"}, headers=AUTH)
    assert put.json()["theme"] == "dark" and put.json()["contrast"] == "aa"
    for bad in ("sepia", "Dark", "", None, 1, True):
        refused = await client.put(url, json={"theme": bad}, headers=AUTH)
        # None means "leave as is" (like the other fields); everything else is refused
        assert refused.status_code == (200 if bad is None else 422), (bad, refused.text)
    assert (await client.get(url, headers=AUTH)).json()["theme"] == "dark"
