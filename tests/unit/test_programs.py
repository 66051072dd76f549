"""With ``CI`` set, a test whose real program is missing fails the whole pytest run, not
only the call (issue 17; the helper is tests/support/programs.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
MISSING = """
from tests.support.programs import require_program

def test_needs_a_program_that_is_not_there():
    require_program("frobnicator", False, "apt-get install frobnicator")
"""


def run_pytest(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_missing_program.py"
    test.write_text(MISSING)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("ci", "code", "word"), [(None, 0, "skipped"), ("true", 1, "failed")])
def test_a_missing_program_skips_locally_and_fails_in_ci(
    tmp_path: Path, ci: str | None, code: int, word: str
) -> None:
    done = run_pytest(tmp_path, ci)
    assert done.returncode == code, done.stdout + done.stderr
    assert word in done.stdout
    if ci:
        assert "frobnicator is not available" in done.stdout
