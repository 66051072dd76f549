"""``bench feedback``: cost of the derived-signal engine per twin update, and per window.

Kits are ``mixed`` simulators (PPG + compression depth, 10 samples at 50 Hz each per
0.2 s message). Each kit's ``DerivedSignals`` is first filled with 30 s of data, then
every later message is timed: both ``add_chunk`` calls of one message are one twin
update (target ≤ 0.5 ms); ``add_chunk`` of ``depth_mm`` includes the per-compression
detector. The windows the engine analyses are also timed alone, vectorised
(``accessibility.signals``) against the naive loops of ``bench.naive``. Last, the path
from a depth chunk's arrival to its ``compression`` event (``benchmarks.compressions``).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from accessibility.derived import CPR_CCF_WINDOW_S, CPR_RATE_WINDOW_S, PPG_WINDOW_S, DerivedSignals
from accessibility.signals import cpr_metrics, heart_rate_from_ppg
from benchmarks.compressions import measure_compression_events
from benchmarks.naive import naive_cpr, naive_heart_rate
from benchmarks.profiling import Profile
from benchmarks.report import BenchResult, Progress, fmt
from benchmarks.stats import meets, summarize
from devices.simulation.kit import SimulatedKit

TARGET_US = 500.0
WARM_MESSAGES = 150  # 30 s: the CPR fraction window is full
RATE_HZ = 50.0


def _time_calls(func: Callable[[], object], calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        started = time.perf_counter_ns()
        func()
        out.append((time.perf_counter_ns() - started) / 1000.0)
    return out


def _row(label: str, us: list[float], target: float | None = None) -> list[str]:
    s = summarize(us)
    verdict = "-"
    if target is not None:
        verdict = "MET" if meets(s["mean"], target, False) else "MISSED"
        verdict += f" (p99 {'MET' if meets(s['p99'], target, False) else 'MISSED'})"
    return [
        label,
        f"{int(s['n']):,}",
        fmt(s["mean"]),
        fmt(s["p50"]),
        fmt(s["p99"]),
        fmt(s["max"]),
        verdict,
    ]


def measure_updates(kits: int, updates: int) -> dict[str, list[float]]:
    start = time.time() - (WARM_MESSAGES + updates) * 0.2 - 10
    sims = [SimulatedKit("mixed", 100 + k, start, RATE_HZ, 0.2) for k in range(kits)]
    streams = [[sim.next_message() for _ in range(WARM_MESSAGES + updates)] for sim in sims]
    engines = [DerivedSignals() for _ in range(kits)]
    times: dict[str, list[float]] = {
        "ppg": [], "depth_mm": [], "update": [], "recomputed": [], "update_cpu": []
    }  # fmt: skip
    for i in range(WARM_MESSAGES + updates):
        for k in range(kits):
            message = streams[k][i]
            spent = cpu = 0.0
            recomputed = False
            for sensor, wave in message["waveforms"].items():
                cpu_started = time.thread_time_ns()
                started = time.perf_counter_ns()
                out = engines[k].add_chunk(sensor, message["ts"], wave["rate_hz"], wave["samples"])
                us = (time.perf_counter_ns() - started) / 1000.0
                cpu += (time.thread_time_ns() - cpu_started) / 1000.0
                spent += us
                recomputed = recomputed or bool(out)
                if i >= WARM_MESSAGES:
                    times[sensor].append(us)
            if i >= WARM_MESSAGES:
                times["update"].append(spent)
                times["update_cpu"].append(cpu)
                if recomputed:
                    times["recomputed"].append(spent)
    return times


def measure_windows(windows: int, naive_windows: int) -> list[tuple[str, list[float], list[float]]]:
    sim = SimulatedKit("mixed", 5, time.time() - 100, RATE_HZ, 0.2)
    messages = [sim.next_message() for _ in range(int(CPR_CCF_WINDOW_S / 0.2))]
    ppg = [x for m in messages for x in m["waveforms"]["ppg"]["samples"]]
    depth = [x for m in messages for x in m["waveforms"]["depth_mm"]["samples"]]
    ppg_win = ppg[-int(PPG_WINDOW_S * RATE_HZ) :]
    short = int(CPR_RATE_WINDOW_S * RATE_HZ)
    t_all = [i / RATE_HZ for i in range(len(depth))]
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        (
            f"heart_rate_from_ppg, {PPG_WINDOW_S:g} s ({len(ppg_win)} samples)",
            lambda: heart_rate_from_ppg(np.asarray(ppg_win), RATE_HZ),
            lambda: naive_heart_rate(ppg_win, RATE_HZ),
        ),
        (
            f"cpr_metrics, {CPR_RATE_WINDOW_S:g} s ({short} samples)",
            lambda: cpr_metrics(np.asarray(t_all[-short:]), np.asarray(depth[-short:])),
            lambda: naive_cpr(t_all[-short:], depth[-short:]),
        ),
        (
            f"cpr_metrics, {CPR_CCF_WINDOW_S:g} s ({len(depth)} samples)",
            lambda: cpr_metrics(np.asarray(t_all), np.asarray(depth)),
            lambda: naive_cpr(t_all, depth),
        ),
    ]
    out = []
    for label, fast, slow in cases:
        fast()  # warm caches
        out.append((label, _time_calls(fast, windows), _time_calls(slow, naive_windows)))
    return out


def _time_each(policy: Any, views: list[Any]) -> list[float]:
    out = []
    for view in views:
        started = time.perf_counter_ns()
        policy.update(view)
        out.append((time.perf_counter_ns() - started) / 1000.0)
    return out


def measure_policy(calls: int) -> tuple[list[tuple[str, list[float]]], str | None]:
    """``FeedbackPolicy.update`` per scenario, when ``accessibility.feedback`` exists."""
    try:
        from accessibility.feedback import FeedbackPolicy
        from accessibility.model import TwinView
        from accessibility.scenario import load_scenario, scenario_ids
    except ImportError as exc:
        return [], f"FeedbackPolicy.update skipped: {exc}"
    rows = []
    try:
        for scenario_id in scenario_ids():
            policy: Any = FeedbackPolicy(load_scenario(scenario_id))
            t0 = time.time()
            policy.start(t0)
            views = []
            for i in range(calls):
                now = t0 + i * 0.2
                values = {
                    "hr": 70.0 + i % 40,
                    "spo2": 97.0 - i % 9,
                    "hr_ppg": 72.0,
                    "cpr_rate": 90.0 + i % 40,
                    "cpr_depth_mm": 40.0 + i % 25,
                    "cpr_recoil_pct": 80.0 + i % 20,
                    "cpr_ccf": 70.0,
                    "temp_c": 36.8,
                    "resp_rate": 16.0,
                    "sbp": 120.0 - i % 50,
                    "dbp": 80.0,
                }
                views.append(TwinView(now, values, dict.fromkeys(values, now)))
            rows.append((f"FeedbackPolicy.update ({scenario_id})", _time_each(policy, views)))
    except Exception as exc:  # noqa: BLE001 - someone else's module, still being written
        return rows, f"FeedbackPolicy.update failed: {type(exc).__name__}: {exc}"
    return rows, None


def run_feedback(
    updates: int,
    kits: int,
    windows: int,
    naive_windows: int,
    profile_dir: Path | None,
    progress: Progress,
) -> BenchResult:
    # As the service does after start-up (twin_service/runtime.py): what the imports built
    # stays out of the collector's view, so a full collection does not walk it while the
    # updates are timed.
    gc.collect()
    gc.freeze()
    profile = Profile(profile_dir is not None)
    profile.start()
    progress(f"{kits} kits x {updates:,} timed updates after {WARM_MESSAGES} warm-up messages")
    try:
        times = measure_updates(kits, updates)
    finally:
        gc.unfreeze()  # the caller's heap as it was (the bench may run inside tests)
    progress(f"windows: {windows} vectorised and {naive_windows} naive calls each")
    window_times = measure_windows(windows, naive_windows)
    policy_rows, policy_note = measure_policy(max(updates, 200))
    progress(f"compression events: {kits} kits in CPR sessions x {updates:,} messages")
    events = measure_compression_events(kits, updates)
    profiled = profile.stop(profile_dir / "feedback-profile") if profile_dir else None
    rows = [
        _row("twin update (ppg + depth chunks)", times["update"], TARGET_US),
        _row("  of which updates that recomputed", times["recomputed"]),
        _row("twin update, CPU time of the thread", times["update_cpu"], TARGET_US),
        _row("DerivedSignals.add_chunk ppg", times["ppg"]),
        _row("DerivedSignals.add_chunk depth_mm", times["depth_mm"]),
        *(_row(label, us) for label, us in policy_rows),
    ]
    window_rows = []
    for label, fast, slow in window_times:
        f, s = summarize(fast)["mean"], summarize(slow)["mean"]
        window_rows.append([label, fmt(f), fmt(summarize(fast)["p99"]), fmt(s), f"{s / f:.1f}x"])
    event_rows = [
        _row("chunk arrival → compression frame, lab", events["lab_us"]),
        _row("chunk arrival → compression frame, session", events["session_us"]),
        _row("Pipeline.handle, message completing a compression", events["with_us"]),
        _row("Pipeline.handle, other messages", events["without_us"]),
    ]
    delay = summarize(events["delay_ms"])
    notes = [
        f"target ≤ {TARGET_US:.0f} µs per twin update, judged on the mean (p99 shown too);"
        f" recompute every 0.5 s of device time per signal, so 2 of 5 updates recompute",
        "naive = pure-Python per-sample loops (benchmarks/naive.py), same steps",
        "CPU time of the thread (time.thread_time): leaves out the time the bench waited for"
        " a core, which the wall-clock rows include on a shared machine; compare it with the"
        " load average in the JSON",
        "compression events: CPU time in the service from Pipeline.handle of the completing"
        " chunk to the frame (in process; a websocket hop adds the publish → frame latency of"
        " bench latency); detection waits for the next compression to start: deepest point"
        f" → completing chunk's last sample p50 {delay['p50']:.0f} ms, p99 {delay['p99']:.0f}"
        " ms of device time",
    ]
    if policy_note:
        notes.append(policy_note)
    if profiled:
        notes.append(profiled)
    data = {
        "updates_us": {k: summarize(v) for k, v in times.items()},
        "windows_us": {
            label: {"vectorised": summarize(f), "naive": summarize(s)}
            for label, f, s in window_times
        },
        "policy_us": {label: summarize(us) for label, us in policy_rows},
        "compression_events": {name: summarize(v) for name, v in events.items()},
        "target_us": TARGET_US,
    }
    headers = ["call", "n", "mean µs", "p50 µs", "p99 µs", "max µs", "target ≤ 500 µs"]
    window_headers = [
        "window",
        "vectorised mean µs",
        "vectorised p99 µs",
        "naive mean µs",
        "speed-up",
    ]
    return BenchResult(
        "feedback",
        headers,
        rows,
        data,
        notes,
        extra_tables=[
            ("Per window, vectorised vs naive", window_headers, window_rows),
            ("From a depth chunk to its compression event", headers, event_rows),
        ],
    )
