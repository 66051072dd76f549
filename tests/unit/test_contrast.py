"""WCAG contrast maths and the shipped themes (docs/domain.md "WCAG 2.2")."""

from __future__ import annotations

import dataclasses
import random
import re

import pytest

from accessibility import theme as theme_mod
from accessibility.contrast import (
    AA_TEXT,
    AAA_TEXT,
    UI_MIN,
    contrast_ratio,
    normalize_hex,
    relative_luminance,
)
from accessibility.theme import (
    SEVERITIES,
    SHIPPED_THEMES,
    Theme,
    ThemeError,
    check_theme,
    theme_for,
    token_pairs,
    visual_tokens,
)

HEX6 = re.compile(r"#[0-9a-f]{6}")


@pytest.mark.parametrize(
    ("fg", "expected"), [("#767676", 4.54), ("#777777", 4.48), ("#595959", 7.0)]
)
def test_domain_vectors_on_white(fg: str, expected: float) -> None:
    assert round(contrast_ratio(fg, "#FFFFFF"), 2) == expected


def test_vectors_straddle_the_thresholds() -> None:
    assert contrast_ratio("#767676", "#ffffff") >= AA_TEXT > contrast_ratio("#777777", "#fff")
    assert contrast_ratio("#595959", "#ffffff") >= AAA_TEXT - 0.01


def test_black_on_white_is_21_and_equal_colours_are_1() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#abcdef", "#ABCDEF") == pytest.approx(1.0)
    assert relative_luminance("#fff") == pytest.approx(1.0)
    assert relative_luminance("#000") == 0.0


def test_short_form_and_case_are_accepted() -> None:
    assert contrast_ratio("#FfF", "#000") == contrast_ratio("#ffffff", "#000000")
    assert normalize_hex("#AbC") == "#aabbcc"


def test_symmetry() -> None:
    assert contrast_ratio("#0044cc", "#fde8ea") == contrast_ratio("#fde8ea", "#0044cc")


@pytest.mark.parametrize(
    "bad", ["", "#", "fff", "#ff", "#ffff", "#fffffff", "#ggg", "rgb(0,0,0)", " #fff", "#fff "]
)
def test_bad_colours_raise(bad: str) -> None:
    with pytest.raises(ValueError, match="colour"):
        relative_luminance(bad)
    with pytest.raises(ValueError, match="colour"):
        contrast_ratio("#000", bad)


def test_non_string_raises() -> None:
    with pytest.raises(ValueError, match="colour"):
        relative_luminance(0xFFFFFF)  # type: ignore[arg-type]


def _check_bounded_and_symmetric(a: str, b: str) -> None:
    r = contrast_ratio(a, b)
    assert 1.0 <= r <= 21.0 + 1e-9
    assert r == pytest.approx(contrast_ratio(b, a))


def test_ratio_is_bounded_and_symmetric_property() -> None:
    """Hypothesis property test (skipped only where the test extra is not installed)."""
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    colours = st.from_regex(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", fullmatch=True)
    hypothesis.given(colours, colours)(_check_bounded_and_symmetric)()


def test_ratio_is_bounded_and_symmetric_seeded() -> None:
    """The same property over seeded random colours, runnable without hypothesis."""
    rng = random.Random(20240607)
    for _ in range(2000):
        a, b = (f"#{rng.randrange(1 << 24):06X}" for _ in range(2))
        _check_bounded_and_symmetric(a, b[:4] if rng.random() < 0.3 else b)


# ---- themes: every visual token the code emits passes its level --------------------------


@pytest.mark.parametrize("name", sorted(SHIPPED_THEMES))
def test_every_shipped_theme_passes_its_level(name: str) -> None:
    theme, level = SHIPPED_THEMES[name]
    assert check_theme(theme, level) == []
    text_min = AAA_TEXT if level == "aaa" else AA_TEXT
    for fg_name, fg, bg_name, bg, is_text in token_pairs(theme):
        minimum = text_min if is_text else UI_MIN
        assert contrast_ratio(fg, bg) >= minimum, (name, fg_name, bg_name)


@pytest.mark.parametrize("level", ["aaa", "aa"])
@pytest.mark.parametrize("dark", [False, True])
@pytest.mark.parametrize("severity", SEVERITIES)
def test_every_emitted_visual_block_passes(level: str, dark: bool, severity: str) -> None:
    theme = theme_for(level, dark=dark)  # type: ignore[arg-type]
    block = visual_tokens(theme, severity, 1.25)  # type: ignore[arg-type]
    minimum = AAA_TEXT if level == "aaa" else AA_TEXT
    fg, bg, highlight = str(block["fg"]), str(block["bg"]), str(block["highlight"])
    assert HEX6.fullmatch(fg) and HEX6.fullmatch(bg) and HEX6.fullmatch(highlight)
    assert block["contrast_ratio"] == round(contrast_ratio(fg, bg), 2)
    assert contrast_ratio(fg, bg) >= minimum
    assert block["highlight_contrast"] == round(contrast_ratio(highlight, bg), 2)
    assert contrast_ratio(highlight, bg) >= UI_MIN
    assert contrast_ratio(highlight, str(block["page_bg"])) >= UI_MIN
    assert contrast_ratio(str(block["page_fg"]), str(block["page_bg"])) >= minimum
    # never colour alone (1.4.1): an icon and a word come with every severity
    assert block["icon"] and block["severity_label"]
    assert block["text_scale"] == 1.25


def test_severities_differ_by_icon_and_word_not_only_colour() -> None:
    for theme, _ in SHIPPED_THEMES.values():
        icons = {theme.severity(s).icon for s in SEVERITIES}
        labels = {theme.severity(s).label for s in SEVERITIES}
        assert len(icons) == len(labels) == len(SEVERITIES)


def test_default_theme_is_light_aaa() -> None:
    assert theme_for("aaa").name == "light-aaa"
    assert theme_for("aa").name == "light-aa"
    assert theme_for("aa", dark=True).name == "dark-aaa"
    with pytest.raises(ValueError, match="contrast level"):
        theme_for("aaaa")  # type: ignore[arg-type]


def test_check_theme_reports_every_violation() -> None:
    base = theme_for("aaa")
    bad = dataclasses.replace(
        base,
        muted="#777777",  # 4.48: fails AA and AAA
        scan_highlight="#eeeeee",  # invisible outline
        info=dataclasses.replace(base.info, fg="#767676", bg="#ffffff"),  # 4.54: AA only
    )
    problems = check_theme(bad, "aaa")
    assert any(p.startswith("muted") for p in problems)
    assert any(p.startswith("info.fg") for p in problems)
    # the highlight fails against the page and all three cards
    assert sum(p.startswith("scan_highlight") for p in problems) == 4
    assert not any(p.startswith("info.fg") for p in check_theme(bad, "aa"))
    assert check_theme(dataclasses.replace(base, fg="black"), "aa")[0].startswith("fg on bg")


def test_theme_for_refuses_a_failing_palette(monkeypatch: pytest.MonkeyPatch) -> None:
    bad: Theme = dataclasses.replace(theme_mod.LIGHT_AAA, fg="#777777")
    monkeypatch.setattr(theme_mod, "LIGHT_AAA", bad)
    with pytest.raises(ThemeError, match=r"fg #777777 on bg #ffffff: 4\.48:1"):
        theme_for("aaa")


def test_visual_tokens_rejects_unknown_severity() -> None:
    with pytest.raises(ValueError, match="severity"):
        visual_tokens(theme_for("aaa"), "bg", 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("inf")])
def test_visual_tokens_rejects_bad_text_scale(scale: float) -> None:
    with pytest.raises(ValueError, match="text_scale"):
        visual_tokens(theme_for("aaa"), "info", scale)
