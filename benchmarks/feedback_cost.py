"""The derived-signal engine's work on fixed data, for instruction counts.

``python -m benchmarks.feedback_cost --what update --calls 50`` feeds one ``mixed``
simulated kit (seed 5, 50 Hz, 0.2 s messages) through ``DerivedSignals`` (30 s of warm-up,
then ``--calls`` timed messages, each a PPG and a depth chunk: one twin update), or calls
``heart_rate_from_ppg`` (12 s), ``cpr_metrics`` (10 s / 30 s) or the per-compression
detector ``--calls`` times on windows of the same kit. It prints the CPU time per call.
Run under ``valgrind --tool=callgrind``, the difference of two runs' instruction counts
(``--calls N`` and ``--calls 0``; both make the same 351 messages, do the warm-up and one
untimed call first) divided by N is the instructions per call: a figure no other load on
the machine changes (BENCHMARKS.md, "feedback: what made it slower").
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from accessibility.derived import DerivedSignals
from accessibility.signals import CompressionDetector, cpr_metrics, heart_rate_from_ppg
from devices.simulation.kit import SimulatedKit

RATE_HZ = 50.0
WARM_MESSAGES = 150  # 30 s, as bench feedback
WHAT = ("update", "hr", "cpr10", "cpr30", "detector")
MAX_CALLS = 200  # messages made for every run, so the simulator's work cancels out


def work(what: str, calls: int) -> Callable[[], object]:
    """A function doing one call of ``what``; each call of it takes the next input."""
    if not 0 <= calls <= MAX_CALLS:
        raise ValueError(f"calls must be in 0..{MAX_CALLS}")
    sim = SimulatedKit("mixed", 5, 1_700_000_000.0, RATE_HZ, 0.2)
    messages = [sim.next_message() for _ in range(WARM_MESSAGES + MAX_CALLS + 1)]
    if what in ("update", "detector"):
        engine, detector = DerivedSignals(), CompressionDetector()
        for m in messages[:WARM_MESSAGES]:
            for sensor, w in m["waveforms"].items():
                engine.add_chunk(sensor, m["ts"], w["rate_hz"], w["samples"])
        later = iter(messages[WARM_MESSAGES:])

        def update() -> object:
            m = next(later)
            if what == "detector":
                w = m["waveforms"]["depth_mm"]
                return detector.add_chunk(m["ts"], w["rate_hz"], w["samples"])
            return [
                engine.add_chunk(sensor, m["ts"], w["rate_hz"], w["samples"])
                for sensor, w in m["waveforms"].items()
            ]

        return update
    warm = messages[:WARM_MESSAGES]
    ppg = np.asarray([x for m in warm for x in m["waveforms"]["ppg"]["samples"]][-600:])
    depth = np.asarray([x for m in warm for x in m["waveforms"]["depth_mm"]["samples"]])
    t = np.arange(depth.size) / RATE_HZ
    if what == "hr":
        return lambda: heart_rate_from_ppg(ppg, RATE_HZ)
    short = int(10 * RATE_HZ)
    if what == "cpr10":
        return lambda: cpr_metrics(t[-short:], depth[-short:])
    return lambda: cpr_metrics(t, depth)


def run(what: str, calls: int) -> float:
    """CPU µs per call (0 when ``calls`` is 0)."""
    call = work(what, calls)
    call()  # warm: kernels cached, lazy imports done
    started = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - started) / calls * 1e6 if calls else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--what", choices=WHAT, default="update")
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    us = run(args.what, args.calls)
    print(f"{args.what}: {args.calls} calls, {us:,.1f} µs CPU a call")


if __name__ == "__main__":
    main()
