"""Colour themes for the learner page and the ``visual`` block of feedback frames.

Every text token must reach 7:1 (AAA, the learner page default) or 4.5:1 (AA) against
the background it is drawn on; the scan highlight, focus ring and borders must reach
3:1 (WCAG 1.4.11) against every background they touch (docs/domain.md "WCAG 2.2"). Ratios
are always computed, never typed in, and a shipped theme that fails is never served:
``theme_for`` checks it and raises. Severity is never colour alone (1.4.1): each one
carries an icon name and a word as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Final

from accessibility.contrast import AA_TEXT, AAA_TEXT, UI_MIN, contrast_ratio, normalize_hex
from accessibility.model import ContrastLevel, Severity

SEVERITIES: Final[tuple[Severity, ...]] = ("info", "warning", "critical")
TEXT_MIN: Final[dict[ContrastLevel, float]] = {"aaa": AAA_TEXT, "aa": AA_TEXT}


class ThemeError(ValueError):
    """A shipped palette does not meet its contrast level."""


@dataclass(frozen=True, slots=True)
class SeverityStyle:
    fg: str  # text on ``bg``
    bg: str  # background of the feedback card
    icon: str  # icon name drawn beside the text
    label: str  # the word read and shown with it ("Warning")


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    bg: str  # page background
    fg: str  # body text
    muted: str  # secondary text (still full text contrast: it is read)
    focus: str  # keyboard focus outline
    scan_highlight: str  # outline of the scanned item (drawn as outline: forced colours keep it)
    border: str  # borders of cards, buttons and inputs
    info: SeverityStyle
    warning: SeverityStyle
    critical: SeverityStyle

    def severity(self, severity: Severity) -> SeverityStyle:
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r}")
        style: SeverityStyle = getattr(self, severity)
        return style


_ICONS: Final[dict[Severity, tuple[str, str]]] = {
    "info": ("info", "Information"),
    "warning": ("warning", "Warning"),
    "critical": ("alert-octagon", "Critical"),
}


def _theme(name: str, page: tuple[str, ...], cards: dict[Severity, tuple[str, str]]) -> Theme:
    """``page`` is (bg, fg, muted, focus, scan_highlight, border); ``cards`` (fg, bg)."""
    bg, fg, muted, focus, highlight, border = page
    info, warning, critical = (SeverityStyle(*cards[s], *_ICONS[s]) for s in SEVERITIES)
    return Theme(name, bg, fg, muted, focus, highlight, border, info, warning, critical)


# Light, AAA: near-black on white, pale tinted cards with dark text of the same hue.
LIGHT_AAA: Final = _theme(
    "light-aaa",
    ("#ffffff", "#111111", "#4a4a4a", "#0044cc", "#a3005c", "#5c5c5c"),
    {
        "info": ("#0a3466", "#e7f0fb"),
        "warning": ("#4d3500", "#fff3cd"),
        "critical": ("#7a0014", "#fde8ea"),
    },
)
# AA: softer text on an off-white page for learners who find full black-on-white glaring.
LIGHT_AA: Final = _theme(
    "light-aa",
    ("#fbfbf8", "#333333", "#616161", "#1f5fcc", "#b3006b", "#767676"),
    {
        "info": ("#1f4e8a", "#e9f2fc"),
        "warning": ("#6b4a00", "#fff6d6"),
        "critical": ("#a3001b", "#fdecee"),
    },
)
# Dark, AAA: light text on near-black; a yellow scan highlight.
DARK_AAA: Final = _theme(
    "dark-aaa",
    ("#121212", "#f2f2f2", "#c4c4c4", "#8ab4ff", "#ffd21f", "#9a9a9a"),
    {
        "info": ("#d6e8ff", "#0d2a4a"),
        "warning": ("#ffe8a3", "#3d2e00"),
        "critical": ("#ffd6da", "#4a0d14"),
    },
)
SHIPPED_THEMES: Final[dict[str, tuple[Theme, ContrastLevel]]] = {
    LIGHT_AAA.name: (LIGHT_AAA, "aaa"),
    LIGHT_AA.name: (LIGHT_AA, "aa"),
    DARK_AAA.name: (DARK_AAA, "aaa"),
}


def token_pairs(theme: Theme) -> list[tuple[str, str, str, str, bool]]:
    """Every (fg name, fg, bg name, bg, is_text) pair the theme must satisfy.

    Text pairs need the level's text minimum; the highlight, focus and border need
    ``UI_MIN`` against the page and against every severity card they may touch.
    """
    pairs: list[tuple[str, str, str, str, bool]] = [
        ("fg", theme.fg, "bg", theme.bg, True),
        ("muted", theme.muted, "bg", theme.bg, True),
    ]
    backgrounds = [("bg", theme.bg)]
    for sev in SEVERITIES:
        style = theme.severity(sev)
        pairs.append((f"{sev}.fg", style.fg, f"{sev}.bg", style.bg, True))
        backgrounds.append((f"{sev}.bg", style.bg))
    for name in ("scan_highlight", "focus", "border"):
        colour = str(getattr(theme, name))
        pairs += [(name, colour, bg_name, bg, False) for bg_name, bg in backgrounds]
    return pairs


def check_theme(theme: Theme, level: ContrastLevel) -> list[str]:
    """Every violated pair as a readable line; empty when the theme passes ``level``."""
    problems: list[str] = []
    for fg_name, fg, bg_name, bg, is_text in token_pairs(theme):
        minimum = TEXT_MIN[level] if is_text else UI_MIN
        try:
            ratio = contrast_ratio(fg, bg)
        except ValueError as exc:
            problems.append(f"{fg_name} on {bg_name}: {exc}")
            continue
        if ratio < minimum:
            problems.append(f"{fg_name} {fg} on {bg_name} {bg}: {ratio:.2f}:1 < {minimum}:1")
    return problems


@cache
def _validated(theme: Theme, level: ContrastLevel) -> Theme:
    problems = check_theme(theme, level)
    if problems:
        raise ThemeError(f"theme {theme.name} fails {level.upper()}: " + "; ".join(problems))
    return theme


def theme_for(contrast: ContrastLevel, *, dark: bool = False) -> Theme:
    """The theme for a learner's contrast setting (AAA light by default); checked first.

    ``dark`` (profile ``theme: "dark"``): DARK_AAA whatever the level. No dark AA theme
    ships, so a dark AA learner gets DARK_AAA, which exceeds AA (7:1 text, not 4.5:1).
    """
    if contrast not in TEXT_MIN:
        raise ValueError(f"unknown contrast level {contrast!r}")
    if dark:  # only an AAA dark theme ships; it also satisfies (exceeds) AA
        return _validated(DARK_AAA, "aaa")
    return _validated(LIGHT_AAA, "aaa") if contrast == "aaa" else _validated(LIGHT_AA, "aa")


def visual_tokens(theme: Theme, severity: Severity, text_scale: float) -> dict[str, object]:
    """The ``visual`` block of a feedback frame for one severity (docs/interface.md)."""
    if not math.isfinite(text_scale) or text_scale <= 0:
        raise ValueError(f"text_scale must be a positive number, got {text_scale!r}")
    style = theme.severity(severity)
    return {
        "fg": normalize_hex(style.fg),
        "bg": normalize_hex(style.bg),
        "contrast_ratio": round(contrast_ratio(style.fg, style.bg), 2),
        "icon": style.icon,
        "severity": severity,
        "severity_label": style.label,
        "highlight": normalize_hex(theme.scan_highlight),
        "highlight_contrast": round(contrast_ratio(theme.scan_highlight, style.bg), 2),
        "focus": normalize_hex(theme.focus),
        "border": normalize_hex(theme.border),
        "page_fg": normalize_hex(theme.fg),
        "page_bg": normalize_hex(theme.bg),
        "text_scale": float(text_scale),
        "theme": theme.name,
    }
