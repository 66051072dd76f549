"""A test whose real program is missing skips on a developer's machine and fails under CI."""

from __future__ import annotations

import pytest

from tests.support.programs import require_program


def test_a_missing_program_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(BaseException, match="espeak-ng is not available") as raised:
        require_program("espeak-ng", False, "apt-get install espeak-ng")
    assert raised.type is pytest.skip.Exception


def test_a_missing_program_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(BaseException, match="CI is set") as raised:
        require_program("victoria-metrics", False, "apt-get install victoria-metrics")
    assert raised.type is pytest.fail.Exception  # failed, not skipped


def test_a_present_program_lets_the_test_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    require_program("mosquitto", True, "apt-get install mosquitto")
