"""Issue 16: the profile's language, and what follows it - scenario texts, speech voice and
words, prompt timing, frames, the pages' lang/dir, the report, the dashboard's language."""

from __future__ import annotations

import fnmatch
import re
import tomllib
import uuid
from pathlib import Path

import pytest

from accessibility.feedback import prompt_seconds
from accessibility.languages import (
    LANGUAGES,
    UnsupportedLanguageError,
    language,
    negotiate,
    spoken_words,
)
from accessibility.model import Feedback, LearnerProfile
from accessibility.render import render_feedback
from accessibility.scenario import load_scenario
from accessibility.scenario_i18n import scenario_in
from accessibility.speech import text_for_speech
from tests.support.app import app_client

TOKEN = "languages-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ARABIC = re.compile(r"[\u0600-\u06ff]")
HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def test_supported_languages_their_direction_and_voice() -> None:
    assert {t: (x.direction, x.voice) for t, x in LANGUAGES.items()} == {
        "en": ("ltr", "en"),
        "ar": ("rtl", "ar"),
        "zh": ("ltr", "cmn"),
    }
    with pytest.raises(UnsupportedLanguageError, match="supported: en, ar, zh"):
        language("fr")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("ar-SA,ar;q=0.9,en;q=0.8", "ar"),
        ("zh-CN,zh;q=0.9", "zh"),
        ("fr-FR,fr;q=0.9,zh;q=0.5,ar;q=0.4", "zh"),
        ("fr-FR,de;q=0.9", "en"),
        ("en;q=0.2,ar;q=0.7", "ar"),
        ("ar;q=0,zh;q=0.1", "zh"),
        ("*", "en"),
        ("ar;q=bogus,;;,zh", "zh"),
    ],
)
def test_the_dashboard_language_is_negotiated_with_english_as_fallback(
    header: str | None, expected: str
) -> None:
    assert negotiate(header) == expected


def test_chinese_is_counted_without_splitting_on_spaces() -> None:
    # No spaces at all: the old split() would say one word.
    text = "现在开始按压。用力、快速地按压，每分钟100到120次。"
    han = len(HAN.findall(text))
    assert spoken_words(text) == pytest.approx(2 + han / 0.8)
    assert spoken_words("Push hard and fast") == 4
    step = scenario_in(load_scenario("cpr"), "zh").step("compressions")
    english = load_scenario("cpr").step("compressions")
    # The Chinese prompt takes as long as its characters, not as one "word".
    assert prompt_seconds(step, 150, "zh") > 0.6 * prompt_seconds(english, 150, "en")
    assert prompt_seconds(step, None, "zh") > 5


def test_units_are_spoken_in_the_learners_language() -> None:
    assert text_for_speech("SpO2 91%", "zh") == "血氧饱和度 百分之91"
    assert text_for_speech("心率 120/min", "zh") == "心率 每分钟120次"
    assert text_for_speech("SpO2 91%", "ar") == "تشبع الأكسجين 91 بالمئة"
    assert text_for_speech("ضغط الدم 88 mmHg", "ar") == "ضغط الدم 88 ملم زئبقي"
    assert text_for_speech("SpO2 91%") == "oxygen saturation 91 percent"


@pytest.mark.parametrize(("lang", "script", "voice"), [("ar", ARABIC, "ar"), ("zh", HAN, "cmn")])
def test_a_rendered_prompt_is_in_the_learners_script_and_voice(
    lang: str, script: re.Pattern[str], voice: str
) -> None:
    step = scenario_in(load_scenario("vitals"), lang).steps[0]
    feedback = Feedback("p1", "prompt", "info", step.prompt, step.speech, step.icon)
    frame, speech = render_feedback(feedback, LearnerProfile(language=lang), {}, "/a")
    assert frame["lang"] == lang
    assert script.search(frame["text"]) and not LATIN_WORD.search(frame["text"])
    assert speech is not None and speech.voice == voice and script.search(speech.text)


async def test_profile_language_is_kept_and_others_are_refused_naming_the_supported() -> None:
    async with app_client(TOKEN, headers=AUTH) as (_, client):
        bad = await client.put("/api/v1/learners/l1/profile", json={"language": "fr"})
        assert bad.status_code == 422
        assert "supported: en, ar, zh" in bad.text
        assert (await client.get("/api/v1/learners/l1/profile")).json()["language"] == "en"
        ok = await client.put("/api/v1/learners/l1/profile", json={"language": "ar"})
        assert ok.status_code == 200 and ok.json()["language"] == "ar"
        assert (await client.get("/api/v1/learners/l1/profile")).json()["language"] == "ar"


async def test_a_session_its_page_and_its_report_follow_the_learners_language() -> None:
    async with app_client(TOKEN, headers=AUTH) as (_, client):
        await client.put("/api/v1/learners/ar1/profile", json={"language": "ar"})
        made = await client.post(
            "/api/v1/sessions",
            json={"learner_id": "ar1", "lab": "ward", "kit": "k1", "scenario": "vitals"},
        )
        body = made.json()
        sid, token = body["session_id"], body["learner_token"]
        summary = (await client.get(f"/api/v1/sessions/{sid}")).json()
        assert summary["lang"] == "ar" and summary["title"] == "مريض تتدهور حالته"
        assert summary["prompt"]["lang"] == "ar" and ARABIC.search(summary["prompt"]["text"])
        page = (await client.get(f"/learn/{sid}", params={"token": token})).text
        assert '<html lang="ar" dir="rtl">' in page
        assert '"lang": "ar"' in page and "ابدأ" in page  # the Arabic catalogue is in it
        # Without the session's token the page says nothing about the session: English.
        assert '<html lang="en" dir="ltr">' in (await client.get(f"/learn/{sid}")).text
        wrong = await client.get(f"/learn/{sid}", params={"token": "x" * 20})
        assert '<html lang="en" dir="ltr">' in wrong.text
        report = await client.get(f"/api/v1/sessions/{sid}/report", params={"format": "html"})
        assert '<html lang="ar" dir="rtl">' in report.text
        assert "تقرير الجلسة" in report.text
        # The formula, grade, measures and scan explanation are Arabic too: nothing English.
        assert '<span lang="en">' not in report.text and "مدة المسح" in report.text


@pytest.mark.parametrize(
    ("header", "attrs", "word"),
    [
        ("ar-SA,ar;q=0.9", '<html lang="ar" dir="rtl">', "التنبيهات"),
        ("zh-CN", '<html lang="zh" dir="ltr">', "警报"),
        ("de-DE", '<html lang="en" dir="ltr">', "Alerts"),
    ],
)
async def test_the_dashboard_is_in_the_browsers_language(
    header: str, attrs: str, word: str
) -> None:
    async with app_client(TOKEN, headers=AUTH) as (_, client):
        page = await client.get("/labs/ward", headers={"Accept-Language": header})
        assert attrs in page.text and word in page.text
        assert page.headers["vary"] == "Accept-Language"


ROOT = Path(__file__).resolve().parents[2]


def test_fonts_for_arabic_and_chinese_are_installed_by_ci_and_the_image() -> None:
    assert "scripts/test" in (ROOT / ".ci/run").read_text("utf-8")  # CI installs through it
    for name in ("Dockerfile", "scripts/test"):
        text = (ROOT / name).read_text("utf-8")
        assert "fonts-noto-core" in text and "fonts-noto-cjk" in text, name


def test_catalogues_and_translations_are_package_data() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    globs = data["tool"]["setuptools"]["package-data"]
    shipped = [
        ("twin_service", p.relative_to(ROOT / "twin_service").as_posix())
        for p in (ROOT / "twin_service/static").rglob("*")
        if p.is_file()
    ] + [
        ("accessibility", p.relative_to(ROOT / "accessibility").as_posix())
        for p in (ROOT / "accessibility/scenarios").rglob("*")
        if p.is_file()
    ]
    missing = [
        f"{pkg}/{rel}"
        for pkg, rel in shipped
        if not any(fnmatch.fnmatch(rel, g) and rel.count("/") == g.count("/") for g in globs[pkg])
    ]
    assert missing == []


async def test_the_scenario_list_is_in_the_callers_language() -> None:
    """The dashboard's scenario menu and table column: titles and summaries follow the
    browser's Accept-Language (English without one)."""
    async with app_client(TOKEN, headers=AUTH) as (_, client):
        english = (await client.get("/api/v1/scenarios")).json()
        assert {s["id"]: s["title"] for s in english}["vitals"] == load_scenario("vitals").title
        for header, lang in (("ar-SA,ar;q=0.9", "ar"), ("zh-CN,zh;q=0.8,en;q=0.5", "zh")):
            got = await client.get("/api/v1/scenarios", headers={"Accept-Language": header})
            assert got.headers["vary"] == "Accept-Language"
            by_id = {s["id"]: s for s in got.json()}
            want = scenario_in(load_scenario("vitals"), lang)
            assert by_id["vitals"]["title"] == want.title != load_scenario("vitals").title
            assert by_id["vitals"]["summary"] == want.summary and by_id["vitals"]["lang"] == lang
