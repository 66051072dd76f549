"""``bench memory``: memory held by twins with full signal windows, measured by tracemalloc.

Each twin gets a ``Twin`` (reported values of a mixed kit, derived values) and the
``DerivedSignals`` engine the pipeline keeps per kit, fed ``seconds`` of 50 Hz PPG and
compression depth. The windows are preallocated ring buffers, so feeding the data in one
chunk holds the same memory as 0.2 s chunks (and is much faster to set up). The duplicate
tracker the ingest keeps per kit is measured separately, full.
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import numpy as np

from accessibility.derived import DerivedSignals, DerivedValue
from benchmarks.report import BenchResult, Progress, fmt
from devices.simulation.kit import SimulatedKit
from gateway.dedupe import SeqTracker
from gateway.identifiers import KitRef
from gateway.sensors import SENSORS, unit_of
from gateway.telemetry import Reading, Telemetry, Waveform
from twin_service.runtime import SEQ_WINDOW
from twin_service.twins.twin import Twin, ValueEntry


def signal_data(seconds: float, rate_hz: float) -> tuple[dict[str, Any], dict[str, float]]:
    sim = SimulatedKit("mixed", 11, time.time() - seconds - 5, rate_hz, 1.0)
    messages = [sim.next_message() for _ in range(max(1, round(seconds)))]
    waves = {
        name: np.asarray([x for m in messages for x in m["waveforms"][name]["samples"]])
        for name in ("ppg", "depth_mm")
    }
    readings = next(m["readings"] for m in reversed(messages) if "readings" in m)
    return {"t0": messages[0]["ts"], "waves": waves}, readings


def make_twin(
    index: int,
    data: dict[str, Any],
    readings: dict[str, float],
    derived: list[DerivedValue],
    rate: float,
) -> Any:
    """One twin and its engine holding the whole window (derived values computed once).

    The engine is fed a one-sample chunk, then the rest: with a long ``every_s`` the second
    chunk does not recompute, which keeps setting up 10,000 twins fast; the engine's state
    is the same as after recomputing.
    """
    kit = KitRef("bench", f"k{index:05d}")
    engine = DerivedSignals(every_s=1e9)
    for name, samples in data["waves"].items():
        engine.add_chunk(name, data["t0"], rate, samples[:1])
        engine.add_chunk(name, data["t0"] + 1 / rate, rate, samples[1:])
    engine.take_compressions()  # as the pipeline does after every chunk
    engine.take_releases()
    now = time.time()
    last_ts = data["t0"] + (len(data["waves"]["ppg"]) - 10) / rate
    telemetry = Telemetry(
        last_ts,
        index + 1,
        tuple(Reading(k, float(v), unit_of(k)) for k, v in readings.items()),
        tuple(
            Waveform(name, rate, samples[-10:].tolist(), unit_of(name))
            for name, samples in data["waves"].items()
        ),
    )
    twin = Twin(kit)
    twin.apply_telemetry(telemetry, now)
    twin.apply_derived({d.name: ValueEntry(d.value, d.unit, d.ts, now) for d in derived}, now)
    return twin, engine


def seq_tracker_bytes() -> int:
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tracker = SeqTracker(SEQ_WINDOW)
    kit = KitRef("bench", "k")
    for seq in range(1, SEQ_WINDOW + 1):
        tracker.mark(kit, seq)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del tracker
    return used


def run_memory(twins: int, seconds: float, rate: float, progress: Progress) -> BenchResult:
    data, readings = signal_data(seconds, rate)
    progress(f"building {twins:,} twins, each fed {seconds:g} s of {rate:g} Hz PPG and depth")
    reference = DerivedSignals()
    derived = [
        value
        for name, samples in data["waves"].items()
        for value in reference.add_chunk(name, data["t0"], rate, samples)
    ]
    held: list[Any] = []
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(twins):
        held.append(make_twin(i, data, readings, derived, rate))
        if (i + 1) % max(1, twins // 5) == 0:
            progress(f"{i + 1:,} twins")
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    total = current - before
    per_twin = total / twins
    windows = held[0][1].buffered_samples()  # sized for the kit's rate
    buffer_bytes = windows * 2 * 8  # times and values, float64
    # A kit may send up to the sensors' highest accepted rate (gateway/sensors.py).
    top_rate = max(spec.rate_hz[1] for spec in SENSORS.values() if spec.waveform)
    worst = DerivedSignals()
    for name in ("ppg", "depth_mm"):
        worst.add_chunk(name, 0.0, top_rate, [0.0])
    worst_bytes = worst.buffered_samples() * 2 * 8
    seq_bytes = seq_tracker_bytes()
    twin_only = per_twin - buffer_bytes
    rows = [
        [
            "twins + DerivedSignals (measured)",
            f"{twins:,}",
            fmt(per_twin, 0),
            fmt(total / 2**20, 1),
        ],
        [
            "  of which window ring buffers (computed)",
            f"{twins:,}",
            fmt(buffer_bytes, 0),
            fmt(buffer_bytes * twins / 2**20, 1),
        ],
        [
            "  the rest: Twin, entries, engine objects",
            f"{twins:,}",
            fmt(twin_only, 0),
            fmt(twin_only * twins / 2**20, 1),
        ],
        [
            f"SeqTracker, one kit full ({SEQ_WINDOW:,} seqs)",
            f"{twins:,}",
            fmt(seq_bytes, 0),
            fmt(seq_bytes * twins / 2**20, 1),
        ],
    ]
    notes = [
        f"tracemalloc: {total / 2**20:,.1f} MiB held after building,"
        f" peak {(peak - before) / 2**20:,.1f} MiB",
        f"window buffers are sized for the kit's rate ({rate:g} Hz here, at least 25 Hz):"
        f" {windows:,} samples x 16 B; a kit at the highest accepted rate ({top_rate:g} Hz)"
        f" would hold {worst_bytes:,} B, so 10,000 such kits ≤"
        f" {(worst_bytes + (per_twin - buffer_bytes) + seq_bytes) * 10_000 / 2**30:,.2f} GiB",
        f"bound at {rate:g} Hz: per twin ≤ {per_twin + seq_bytes:,.0f} B (twin and engine as"
        " measured + a full duplicate window), so the default max_twins 10,000 holds ≤"
        f" {(per_twin + seq_bytes) * 10_000 / 2**30:,.2f} GiB; without the duplicate windows"
        f" {per_twin * 10_000 / 2**30:,.2f} GiB",
    ]
    data_out = {
        "twins": twins,
        "seconds": seconds,
        "rate_hz": rate,
        "total_bytes": total,
        "peak_bytes": peak - before,
        "bytes_per_twin": per_twin,
        "window_buffer_bytes_per_twin": buffer_bytes,
        "window_buffer_bytes_per_twin_at_top_rate": worst_bytes,
        "seq_tracker_bytes_per_kit_full": seq_bytes,
        "bound_bytes_10000_twins": (per_twin + seq_bytes) * 10_000,
    }
    headers = ["what", "twins", "bytes per twin", "MiB for all"]
    return BenchResult("memory", headers, rows, data_out, notes)
