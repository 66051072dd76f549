"""Every text the static pages show is translated: it sits under a ``data-i18n`` element
(or one whose text the page's script sets in the page's language). The instructor's
"learner view" banner and the CPR page's "Beat" once stayed English on Arabic and Chinese
pages."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "twin_service" / "static"
# Elements whose text the script sets with t(...) (learn.js, dashboard-sessions.js).
SET_BY_SCRIPT = {"start-hint", "sessions-caption"}
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
NOT_SHOWN = {"script", "style", "template", "kbd", "code"}


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.untranslated: list[str] = []
        self.keys: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("data-i18n"):
            self.keys.add(str(found["data-i18n"]))
        if tag not in VOID:
            self.stack.append((tag, found))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if not re.search(r"[A-Za-z]{2,}", text):
            return  # whitespace, icons, numbers
        if any(tag in NOT_SHOWN for tag, _ in self.stack):
            return
        if any("data-i18n" in a or a.get("id") in SET_BY_SCRIPT for _, a in self.stack):
            return
        self.untranslated.append(f"line {self.getpos()[0]}: {text[:60]!r}")


@pytest.mark.parametrize("page", sorted(p.name for p in STATIC.glob("*.html")))
def test_every_text_of_a_page_is_translated_in_every_language(page: str) -> None:
    parser = _Texts()
    parser.feed((STATIC / page).read_text(encoding="utf-8"))
    assert parser.untranslated == []
    for lang in ("en", "ar", "zh"):
        catalogue = json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
        missing = sorted(k for k in parser.keys if k not in catalogue)
        assert missing == [], (lang, missing)
