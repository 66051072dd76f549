"""WCAG 2.x colour contrast (relative luminance and contrast ratio).

Formula and test vectors: docs/domain.md "WCAG 2.2" (WCAG 2.x definitions of relative
luminance and contrast ratio). Pure functions; colours are CSS hex strings.
"""

from __future__ import annotations

import re
from typing import Final

AA_TEXT: Final = 4.5  # 1.4.3 Contrast (Minimum), normal text
AAA_TEXT: Final = 7.0  # 1.4.6 Contrast (Enhanced), normal text; the learner page default
UI_MIN: Final = 3.0  # 1.4.11 Non-text Contrast: UI parts, focus and scan highlight

_HEX: Final = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
# sRGB linearisation (WCAG 2.x): channel c = v / 255; c <= 0.04045 -> c / 12.92 else
# ((c + 0.055) / 1.055) ** 2.4; luminance weights for R, G, B.
_LINEAR_KNEE: Final = 0.04045
_WEIGHTS: Final = (0.2126, 0.7152, 0.0722)


def parse_hex(colour: str) -> tuple[int, int, int]:
    """``#rgb`` or ``#rrggbb`` (any case) as 0-255 channels; ValueError otherwise."""
    if not isinstance(colour, str) or _HEX.fullmatch(colour) is None:
        raise ValueError(f"not a #rgb or #rrggbb colour: {colour!r}")
    digits = colour[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def normalize_hex(colour: str) -> str:
    """The colour as lower-case ``#rrggbb`` (the form websocket frames carry)."""
    r, g, b = parse_hex(colour)
    return f"#{r:02x}{g:02x}{b:02x}"


def _linear(v: int) -> float:
    c = v / 255.0
    return c / 12.92 if c <= _LINEAR_KNEE else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex: str) -> float:
    """WCAG relative luminance in [0, 1] of a ``#rgb`` / ``#rrggbb`` colour."""
    channels = parse_hex(hex)
    return sum(w * _linear(v) for w, v in zip(_WEIGHTS, channels, strict=True))


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05), L1 the lighter: 1.0 to 21.0.

    Symmetric in its arguments; not rounded (round only for display: 4.499 fails 4.5).
    """
    a, b = relative_luminance(fg), relative_luminance(bg)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def meets(fg: str, bg: str, minimum: float) -> bool:
    """Whether the pair reaches ``minimum`` (unrounded, as WCAG requires)."""
    return contrast_ratio(fg, bg) >= minimum
