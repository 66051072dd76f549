"""Switch practice in the learner's language: each trial's prompt, the right / wrong /
no-press notes, the closing count and the saved scan time are scenario texts
(``messages.practice.*``), so an Arabic or Chinese learner hears no English sentence."""

from __future__ import annotations

import re

import pytest

from accessibility.practice import PRACTICE_TEXTS, PracticePolicy, practice_text
from accessibility.scenario import load_scenario
from accessibility.scenario_i18n import scenario_in

SCRIPT = {"ar": re.compile(r"[\u0600-\u06ff]"), "zh": re.compile(r"[\u4e00-\u9fff]")}


def _run(lang: str) -> list[str]:
    scenario = scenario_in(load_scenario("switch-practice"), lang)
    policy = PracticePolicy(scenario, seed=3)
    said = [f.text for f in policy.start(0.0)]
    for i in range(scenario.scoring.trials):  # type: ignore[union-attr]
        assert policy.target is not None
        if i % 3 == 0:
            notes = policy.choose(policy.target.id, 1.0 + i)
        elif i % 3 == 1:
            other = next(c for c in policy._shown if c != policy.target)
            notes = policy.choose(other.id, 1.0 + i)
        else:
            notes = policy.no_press(1.0 + i)
        said += [f.text for f in notes]
    return said


@pytest.mark.parametrize("lang", ["ar", "zh"])
def test_every_practice_sentence_is_in_the_learners_language(lang: str) -> None:
    said = _run(lang)
    assert len(said) > 40
    for text in said:
        assert SCRIPT[lang].search(text), text
        assert not re.search(r"\b(Trial|select|Right|target|That was|No press)\b", text), text


def test_english_practice_reads_as_before() -> None:
    said = _run("en")
    assert said[0].startswith("Trial 1 of 20: select ")
    assert "Right." in said and any(
        s.startswith("No press that time. The target was ") for s in said
    )
    assert said[-1].startswith("Practice finished. ") and said[-1].endswith(" of 20 right.")
    assert practice_text(PRACTICE_TEXTS, "scan_kept", s="1.20") == (
        "Your scan time is now 1.20 s, kept in your profile."
    )
