"""The browser tests' own checks, without a browser: which axe "incomplete" results pass."""

from __future__ import annotations

from tests.browser.helpers import ICON_INCOMPLETE_REASON, unexpected_incomplete


def result(rule: str, reason: str, html: str) -> dict[str, object]:
    node = {"target": "#x", "reason": reason, "html": html}
    return {"incomplete": [{"id": rule, "nodes": [node]}]}


def test_only_hidden_icon_glyphs_may_leave_axe_undecided() -> None:
    icon = '<span class="icon" aria-hidden="true">✔︎</span>'
    assert unexpected_incomplete(result("color-contrast", ICON_INCOMPLETE_REASON, icon)) == []
    assert (
        unexpected_incomplete(result("color-contrast-enhanced", ICON_INCOMPLETE_REASON, icon)) == []
    )
    # Words, a glyph not hidden from assistive technology, another reason or rule: all fail.
    words = '<span aria-hidden="true">Offline now</span>'
    shown = '<span class="icon">✔︎</span>'
    for rule, reason, html in (
        ("color-contrast", ICON_INCOMPLETE_REASON, words),
        ("color-contrast", ICON_INCOMPLETE_REASON, shown),
        ("color-contrast", "Element's background color could not be determined", icon),
        ("aria-valid-attr-value", ICON_INCOMPLETE_REASON, icon),
    ):
        assert len(unexpected_incomplete(result(rule, reason, html))) == 1, (rule, reason, html)
