"""scripts/test's parallel run (tests/support/parallel.py): on pytest-xdist workers with
``--dist loadfile`` a file runs whole on one worker, the timing files together on one
worker, and the files with a slow test are handed out first. Run on a small generated
suite in a pytest process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

RECORD = """
import os, time
from pathlib import Path

import pytest

{marks}


@pytest.mark.parametrize("n", range(4))
def test_runs(n):
    time.sleep(0.05)
    worker = os.environ["PYTEST_XDIST_WORKER"]
    with (Path(__file__).parent / "ran.txt").open("a") as out:
        out.write(f"{{Path(__file__).stem}} {{worker}} {{time.monotonic()}}\\n")
"""


# The hooks of tests/support/parallel.py, with this suite's timing files.
CONFTEST = """
import os
from tests.support import parallel

TIMING = {"test_c_timed.py", "test_d_timed.py"}


def pytest_xdist_make_scheduler(config, log):
    return parallel.make_scheduler(config, log, TIMING)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        parallel.order_long_scopes_first(items, TIMING)
"""


@pytest.mark.timeout(300)  # four pytest processes; slow on a loaded machine
def test_files_and_the_timing_files_each_run_on_one_worker_slow_first(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: long\n")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    files = {
        "test_a_quick": "",
        "test_b_quick": "",
        "test_c_timed": "",
        "test_d_timed": "",
        "test_z_slow": "pytestmark = pytest.mark.slow",
    }
    for name, marks in files.items():
        (tmp_path / f"{name}.py").write_text(RECORD.format(marks=marks))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "3",
         "--dist", "loadfile", str(tmp_path)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    runs = [line.split() for line in (tmp_path / "ran.txt").read_text().splitlines()]
    assert len(runs) == 4 * len(files)
    workers = {stem: {w for s, w, _ in runs if s == stem} for stem in files}
    assert all(len(w) == 1 for w in workers.values()), workers
    assert workers["test_c_timed"] == workers["test_d_timed"]
    assert len(set().union(*workers.values())) > 1, "nothing ran in parallel"
    first = {stem: min(float(t) for s, _, t in runs if s == stem) for stem in files}
    on_slow_worker = [s for s in files if workers[s] == workers["test_z_slow"]]
    assert min(on_slow_worker, key=first.__getitem__) == "test_z_slow", first
