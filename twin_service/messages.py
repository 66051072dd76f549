"""The pages' message catalogues: ``static/i18n/{lang}.json``, one flat object per language.

A key names one string (``learn.start``); ``{name}`` marks a value put in when it is used.
English (``en.json``) is the reference: every key of it must be in every other catalogue
with the same placeholders (tests/unit/test_catalogues.py), and a key missing at run time
falls back to English. Pages get their catalogue as a JSON data block (not run: CSP-safe)
that ``static/common/i18n.js`` reads; server-made pages (the report) use :func:`message`.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from importlib import resources

from accessibility.languages import DEFAULT_LANGUAGE, SUPPORTED, language

MESSAGES_MARK = "<!-- messages -->"
_HTML_TAG = re.compile(r'<html lang="en">')
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@cache
def catalogue_file(lang: str) -> dict[str, str]:
    """One catalogue as shipped (no fallback)."""
    language(lang)
    path = resources.files("twin_service").joinpath(f"static/i18n/{lang}.json")
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"static/i18n/{lang}.json: must be an object of strings")
    return data


@cache
def catalogue(lang: str) -> dict[str, str]:
    """``lang``'s messages over the English ones (a missing key is said in English)."""
    return {**catalogue_file(DEFAULT_LANGUAGE), **catalogue_file(lang)}


def message(lang: str, key: str, **values: object) -> str:
    text = catalogue(lang).get(key, key)
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m[1], m[0])), text)


def message_html(lang: str, key: str, **markup: str) -> str:
    """The message as HTML: its text escaped, each ``{name}`` replaced by ``markup[name]``,
    which the caller has made safe (escaped values, a link, an isolated ``<time>``)."""
    text = html.escape(catalogue(lang).get(key, key))
    return re.sub(r"\{(\w+)\}", lambda m: markup.get(m[1], m[0]), text)


def messages_script(lang: str) -> str:
    """The catalogue as a data block for ``static/common/i18n.js``."""
    doc = {"lang": lang, "dir": language(lang).direction, "messages": catalogue(lang)}
    text = json.dumps(doc, ensure_ascii=False).replace("<", "\\u003c")
    return f'<script type="application/json" id="accesstwin-messages">{text}</script>'


def localize_page(page: str, lang: str) -> str:
    """A page's ``<html lang="en">`` set to ``lang`` (and ``dir``), and its catalogue in."""
    if lang not in SUPPORTED:
        lang = DEFAULT_LANGUAGE
    attrs = f'<html lang="{lang}" dir="{language(lang).direction}">'
    return _HTML_TAG.sub(attrs, page, count=1).replace(MESSAGES_MARK, messages_script(lang))


def catalogue_problems(catalogues: dict[str, dict[str, str]]) -> list[str]:
    """What is wrong with a set of catalogues (empty: nothing): a key of the English one
    missing in another language, a key only another language has, an empty message, or
    placeholders that differ from the English (``{time}`` must stay ``{time}``)."""
    english = catalogues[DEFAULT_LANGUAGE]
    problems: list[str] = []
    for lang, messages in sorted(catalogues.items()):
        for key in english.keys() - messages.keys():
            problems.append(f"static/i18n/{lang}.json: {key}: missing")
        for key in messages.keys() - english.keys():
            problems.append(f"static/i18n/{lang}.json: {key}: not in en.json")
        for key in english.keys() & messages.keys():
            if not messages[key].strip():
                problems.append(f"static/i18n/{lang}.json: {key}: empty")
            elif sorted(_PLACEHOLDER.findall(messages[key])) != sorted(
                _PLACEHOLDER.findall(english[key])
            ):
                problems.append(f"static/i18n/{lang}.json: {key}: placeholders differ from en")
    return sorted(problems)


def grade_words(grade: object, lang: str) -> str:
    """A score's grade (``accessibility.scoring.GRADES``: "Needs practice") in ``lang``, by
    ``dashboard.grade.{grade in lower case, _ for spaces}``; another text as it is."""
    text = "" if grade is None else str(grade)
    key = "dashboard.grade." + re.sub(r"\W+", "_", text.lower())
    return message(lang, key) if text and key in catalogue(lang) else text


def say_phrases(lang: str, phrases: object) -> str | None:
    """An explanation given as phrases (``[{"key", "values", "gap"}]``,
    accessibility.explained) in ``lang``; None when it is not such a list or names a key
    the catalogue has not got (the caller then shows the English text it came with)."""
    if not isinstance(phrases, list) or not phrases:
        return None
    words = catalogue(lang)
    out: list[str] = []
    for p in phrases:
        if not isinstance(p, dict) or p.get("key") not in words:
            return None
        given = p.get("values")
        values: dict[str, object] = given if isinstance(given, dict) else {}
        if p.get("gap") and out and lang != "zh":  # Chinese puts no space between sentences
            out.append(" ")
        out.append(_fill(words[str(p["key"])], values))
    return "".join(out)


def _fill(text: str, values: dict[str, object]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), text)


def isolate(lang: str, text: str) -> str:
    """``text`` (a number with its unit, a date) isolated inside a right-to-left sentence
    (U+2068 … U+2069), so that "1000 ms" does not show as "ms 1000"; as it is otherwise."""
    return f"\u2068{text}\u2069" if language(lang).direction == "rtl" else text
