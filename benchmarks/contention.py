"""How much of the machine a measured window gave the benchmark's processes (Linux /proc).

Latencies measured while other programs load the machine measure that load. These
figures say how much it did: for each of the run's processes, the CPU it used and the
time it was runnable but waiting for a core (``/proc/PID/task/*/schedstat``, summed over
its threads), and for the whole machine the share of the cores that were busy
(``/proc/stat``) and the load average at the start and the end of the window.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcTimes:
    """Nanoseconds a process's threads have run and have waited runnable, so far."""

    run_ns: int
    wait_ns: int


def parse_schedstat(text: str) -> tuple[int, int]:
    """``run_ns wait_ns timeslices`` of one ``schedstat`` file → (run_ns, wait_ns)."""
    fields = text.split()
    if len(fields) < 2:
        raise ValueError(f"not a schedstat line: {text[:80]!r}")
    return int(fields[0]), int(fields[1])


def proc_times(pid: int, proc: Path = Path("/proc")) -> ProcTimes | None:
    """The summed schedstat of a process's threads; None if it is gone or unreadable."""
    run = wait = 0
    try:
        for task in (proc / str(pid) / "task").iterdir():
            try:
                r, w = parse_schedstat((task / "schedstat").read_text())
            except (OSError, ValueError):
                continue  # a thread that just ended
            run += r
            wait += w
    except OSError:
        return None
    return ProcTimes(run, wait)


def parse_proc_stat(text: str) -> tuple[int, int]:
    """(busy, total) jiffies of all cores from ``/proc/stat``'s first line."""
    first = text.splitlines()[0].split()
    if first[0] != "cpu":
        raise ValueError("/proc/stat does not start with the cpu line")
    values = [int(v) for v in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


def machine_busy(proc: Path = Path("/proc")) -> tuple[int, int] | None:
    try:
        return parse_proc_stat((proc / "stat").read_text())
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class Snapshot:
    load: tuple[float, float, float]
    busy: tuple[int, int] | None
    procs: dict[str, ProcTimes | None]


def snapshot(pids: Mapping[str, int]) -> Snapshot:
    return Snapshot(
        load=os.getloadavg(),
        busy=machine_busy(),
        procs={name: proc_times(pid) for name, pid in pids.items()},
    )


def window(before: Snapshot, after: Snapshot, wall_s: float) -> dict[str, object]:
    """What the machine gave the processes between two snapshots ``wall_s`` apart.

    ``run_pct`` / ``wait_pct``: per process, the share of one core it ran, and the share
    of the window its threads spent runnable but not running (summed over threads, so it
    can pass 100 %); ``machine_busy_pct``: the busy share of all the cores.
    """
    per_proc: dict[str, dict[str, float]] = {}
    for name, first in before.procs.items():
        last = after.procs.get(name)
        if first is None or last is None or wall_s <= 0:
            per_proc[name] = {"run_pct": math.nan, "wait_pct": math.nan}
            continue
        per_proc[name] = {
            "run_pct": (last.run_ns - first.run_ns) / 1e9 / wall_s * 100,
            "wait_pct": (last.wait_ns - first.wait_ns) / 1e9 / wall_s * 100,
        }
    busy = math.nan
    if before.busy and after.busy and after.busy[1] > before.busy[1]:
        busy = 100 * (after.busy[0] - before.busy[0]) / (after.busy[1] - before.busy[1])
    return {
        "load_average_start": list(before.load),
        "load_average_end": list(after.load),
        "machine_busy_pct": busy,
        "processes": per_proc,
    }


def priority() -> dict[str, object]:
    """This process's nice value and its scheduler autogroup (whose nice also counts)."""
    try:
        group = Path("/proc/self/autogroup").read_text().strip()
    except OSError:
        group = None
    return {"nice": os.nice(0), "autogroup": group}
