"""``benchmarks.contention``: how much of the machine a window gave the bench's processes."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from benchmarks.contention import (
    ProcTimes,
    Snapshot,
    parse_proc_stat,
    parse_schedstat,
    proc_times,
    window,
)


def test_schedstat_and_proc_stat_lines_are_read() -> None:
    assert parse_schedstat("40360 90714 1\n") == (40_360, 90_714)
    with pytest.raises(ValueError, match="not a schedstat line"):
        parse_schedstat("")
    # user nice system idle iowait irq softirq steal guest guest_nice
    busy, total = parse_proc_stat("cpu  100 5 20 800 50 1 2 3 7 0\ncpu0 1 2 3 4\n")
    assert (busy, total) == (131, 981)
    with pytest.raises(ValueError, match="cpu line"):
        parse_proc_stat("intr 1 2 3\n")


def test_a_process_threads_are_summed(tmp_path: Path) -> None:
    for tid, line in (("11", "1000 200 3"), ("12", "500 50 1")):
        (tmp_path / "7" / "task" / tid).mkdir(parents=True)
        (tmp_path / "7" / "task" / tid / "schedstat").write_text(line)
    assert proc_times(7, tmp_path) == ProcTimes(1_500, 250)
    assert proc_times(8, tmp_path) is None


def test_this_process_has_run() -> None:
    times = proc_times(os.getpid())
    assert times is not None and times.run_ns > 0


def test_window_gives_shares_of_a_core_and_of_the_machine() -> None:
    before = Snapshot((1.0, 1.0, 1.0), (1_000, 4_000), {"service": ProcTimes(0, 0), "gone": None})
    after = Snapshot(
        (3.0, 2.0, 1.0), (1_500, 5_000), {"service": ProcTimes(1_500_000_000, 500_000_000)}
    )
    w = window(before, after, 2.0)
    assert w["load_average_start"] == [1.0, 1.0, 1.0]
    assert w["load_average_end"] == [3.0, 2.0, 1.0]
    assert w["machine_busy_pct"] == pytest.approx(50.0)
    procs = w["processes"]
    assert isinstance(procs, dict)
    assert procs["service"] == {"run_pct": pytest.approx(75.0), "wait_pct": pytest.approx(25.0)}
    assert math.isnan(procs["gone"]["run_pct"])
