"""Explanations as phrases, so that a page can say them in its reader's language.

Why the scan time moved (``scan_calibration``, ``adaptive_interval``, ``scanning``) and why
switch practice proposes a debounce and hold (``press_timing``) are built from phrases: a
message key of the pages' catalogues (``twin_service/static/i18n/*.json``, ``explain.*``)
and the values put into it, already written as numbers in Western digits ("1.20", "20%").
:data:`EXPLAIN_TEXTS` holds the English of every key; the English catalogue has the same
texts (tests/unit/test_explained.py), and :func:`say` gives the English sentence that the
API's ``explained`` fields have always carried. A phrase with ``gap`` starts a new
sentence: languages written with spaces put one before it (Chinese does not).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Phrase:
    key: str
    values: Mapping[str, str] = field(default_factory=dict)
    gap: bool = False  # a new sentence: a space before it where the language uses them

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "values": dict(self.values)}
        if self.gap:
            out["gap"] = True
        return out


def phrase(key: str, new_sentence: bool = False, /, **values: object) -> Phrase:
    """A phrase of ``key`` with its values written out (``new_sentence``: ``gap``)."""
    return Phrase(key, {k: str(v) for k, v in values.items()}, new_sentence)


EXPLAIN_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "explain.end": ".",
        "explain.scan.fixed": "Scan time {s} s, as set in your profile.",
        "explain.adaptive.measuring": (
            "Scan time {s} s: measuring your presses ({n} of {need} needed before it adapts)."
        ),
        "explain.adaptive.rule": (
            "Scan time {s} s: your last {n} presses averaged {mean} s;"
            " scan time = average ÷ {rule} = {target} s"
        ),
        "explain.adaptive.raised": (
            ", raised to {floor} s to stay slower than 9 in 10 of your presses"
        ),
        "explain.adaptive.kept_within": ", kept within {min}-{max} s",
        "explain.adaptive.moves": "; it moves there by at most {pct} at a time",
        "explain.cal.start": "Scan time {s} s to start with.",
        "explain.cal.early": (
            "Scan time kept at {s} s: that press came before the target was highlighted,"
            " so it says nothing about your timing."
        ),
        "explain.cal.no_press": "Scan time slowed to {s} s: the scan ended with no press.",
        "explain.cal.late_rt": (
            "Scan time slowed to {s} s: your press came {rt} s after the target lit,"
            " after the highlight had moved on; {rt} ÷ {rule} = {own} s"
        ),
        "explain.cal.late_need": ", and your last {n} presses need {need} s.",
        "explain.cal.late": (
            "Scan time slowed to {s} s: your press was late, after the highlight had moved on."
        ),
        "explain.cal.measuring": (
            "Scan time kept at {s} s: measuring your presses ({n} of {need} needed)."
        ),
        "explain.cal.slowed": (
            "Scan time slowed to {s} s: your presses average {mean} s,"
            " and {mean} ÷ {rule} = {target} s."
        ),
        "explain.cal.streak": (
            "Scan time kept at {s} s: {run} right in a row; it speeds up only after {streak}."
        ),
        "explain.cal.floor": (
            "Scan time kept at {s} s: not faster than your own presses support ({floor} s)."
        ),
        "explain.cal.sped": (
            "Scan time sped up to {s} s: {streak} right in a row; your presses average {mean} s,"
            " and {mean} ÷ {rule} = {target} s; at most {pct} faster a trial, and never faster"
            " than your own presses support ({floor} s)."
        ),
        "explain.timing.no_bounce": "No bounce seen: debounce stays {debounce} ms.",
        "explain.timing.bounces": (
            "{n} bounce(s), the longest {longest} ms after a release: debounce {debounce} ms."
        ),
        "explain.timing.no_target": "No press at a target measured: hold stays {hold} ms.",
        "explain.timing.no_brush": (
            "Your presses at the targets lasted {shortest} ms or more and no brief accidental"
            " touch was seen: no hold time (it would only delay every press)."
        ),
        "explain.timing.brushes": (
            "{n} brief touch(es) up to {brush} ms, your presses at the targets {shortest} ms"
            " or more: hold {hold} ms, above the touches"
        ),
        "explain.timing.below": " and below your presses.",
        "explain.timing.capped": (
            ", kept at {pct} of your shortest press (some touches were as long as your presses)."
        ),
        "explain.record.interrupted": (
            "The session was interrupted when the service stopped; this report holds what was"
            " recorded before that."
        ),
        "explain.record.elsewhere": (
            "The session is running in another service instance; this is its record so far."
        ),
    }
)


def fill(text: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), text)


def say(phrases: Sequence[Phrase], texts: Mapping[str, str] = EXPLAIN_TEXTS, gap: str = " ") -> str:
    """The phrases in one language (``texts``; English by default), ``gap`` before each
    phrase that starts a sentence."""
    out: list[str] = []
    for p in phrases:
        if p.gap and out:
            out.append(gap)
        out.append(fill(texts.get(p.key, p.key), p.values))
    return "".join(out)


def phrases_json(phrases: Sequence[Phrase]) -> list[dict[str, Any]]:
    return [p.to_dict() for p in phrases]
