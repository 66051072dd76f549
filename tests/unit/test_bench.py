"""The benchmark helpers: statistics, payloads, and tiny runs of two benchmarks."""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from benchmarks.cli import add_bench_parser, run_bench
from benchmarks.naive import naive_cpr, naive_heart_rate
from benchmarks.payloads import LiveKits, generate_workload
from benchmarks.report import format_table
from benchmarks.stats import meets, percentile, percentiles, rate, ratio, summarize
from gateway.telemetry import Rejection, Telemetry, parse_telemetry


def test_percentile_matches_numpy_linear() -> None:
    values = [5.0, 1.0, 9.0, 3.0, 7.0, 2.5, 100.0]
    for q in (0, 1, 25, 50, 95, 99, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert percentiles(values, [50, 99]) == {
        50: pytest.approx(5.0),
        99: pytest.approx(float(np.percentile(values, 99))),
    }


def test_percentile_edges() -> None:
    assert math.isnan(percentile([], 50))
    assert percentile([4.0], 99) == 4.0
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], 101)


def test_summarize() -> None:
    s = summarize(float(x) for x in range(1, 101))
    assert s["n"] == 100
    assert s["mean"] == pytest.approx(50.5)
    assert s["p50"] == pytest.approx(50.5)
    assert s["max"] == 100
    assert math.isnan(summarize([])["p99"])


def test_rate_ratio_and_targets() -> None:
    assert rate(1_000, 2.0) == 500.0
    assert math.isnan(rate(5, 0.0))
    assert ratio(8_000, 10_000) == pytest.approx(0.8)
    assert math.isnan(ratio(1.0, 0.0))
    assert meets(0.8, 0.8, higher_is_better=True)
    assert not meets(51.0, 50.0, higher_is_better=False)
    assert not meets(math.nan, 1.0, higher_is_better=False)


def test_workload_is_valid_contract_telemetry() -> None:
    load = generate_workload(60, 6, "p/v1", lab="lab1")
    assert len(load.messages) == 60
    now = time.time()
    readings = samples = 0
    seqs: dict[str, list[int]] = {}
    for topic, payload in load.messages:
        assert topic.startswith("p/v1/lab1/k") and topic.endswith("/telemetry")
        parsed = parse_telemetry(payload, now)
        assert isinstance(parsed, Telemetry), parsed
        assert not parsed.dropped
        readings += len(parsed.readings)
        samples += sum(len(w.samples) for w in parsed.waveforms)
        assert all(w.rate_hz == 50 and len(w.samples) == 10 for w in parsed.waveforms)
        seqs.setdefault(topic, []).append(parsed.seq)
    assert (readings, samples) == (load.readings, load.waveform_samples)
    assert load.points == readings + samples
    assert all(s == sorted(set(s)) for s in seqs.values())  # increasing per kit
    kinds = {tuple(sorted(json.loads(p).get("waveforms", {}))) for _, p in load.messages}
    assert kinds == {("ppg",), ("depth_mm",), ("depth_mm", "ppg")}  # mixed kits


def test_readings_only_workload_and_live_kits() -> None:
    load = generate_workload(10, 2, "p/v1", waveforms=False)
    assert load.waveform_samples == 0 and load.readings == 60
    live = LiveKits(2, seed=3, cycle=5)
    stamp = time.time()
    parsed = parse_telemetry(live.message(1, 7, stamp, 42), stamp)
    assert isinstance(parsed, Telemetry)
    assert parsed.ts == stamp and parsed.seq == 42
    assert {r.sensor for r in parsed.readings} >= {"hr", "spo2"}
    assert not isinstance(parse_telemetry(b"{}", stamp), Telemetry)
    assert isinstance(parse_telemetry(b"{}", stamp), Rejection)


def test_naive_versions_agree_with_vectorised() -> None:
    from accessibility.signals import cpr_metrics, heart_rate_from_ppg
    from devices.simulation.kit import SimulatedKit

    sim = SimulatedKit("mixed", 3, time.time() - 100)
    messages = [sim.next_message() for _ in range(60)]
    ppg = [x for m in messages for x in m["waveforms"]["ppg"]["samples"]]
    depth = [x for m in messages for x in m["waveforms"]["depth_mm"]["samples"]]
    times = [i / 50 for i in range(len(depth))]
    fast = heart_rate_from_ppg(np.asarray(ppg), 50.0)
    slow = naive_heart_rate(ppg, 50.0)
    assert fast is not None and slow is not None
    assert slow == pytest.approx(fast.bpm, abs=2.0)
    cpr = cpr_metrics(np.asarray(times), np.asarray(depth))
    naive = naive_cpr(times, depth)
    assert cpr is not None and naive is not None
    assert naive[0] == pytest.approx(cpr.rate_per_min, abs=2.0)
    assert naive[1] == pytest.approx(cpr.mean_depth_mm, abs=1.0)


def test_format_table() -> None:
    text = format_table(["a", "bb"], [["1", "22"], ["333", "4"]])
    lines = text.splitlines()
    assert lines[0] == "| a   | bb |"
    assert len({len(line) for line in lines}) == 1


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="accesstwin")
    add_bench_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_parser_defaults() -> None:
    args = _parse(["bench", "latency"])
    assert args.clients == [1, 100, 1_000] and args.rate == 1_000.0
    assert _parse(["bench", "store", "--batches", "1,5"]).batches == [1, 5]
    with pytest.raises(SystemExit):
        _parse(["bench", "store", "--batches", "0"])


@pytest.mark.parametrize(
    "argv",
    [
        ["bench", "store", "--batches", "1,50", "--points", "200", "--max-seconds", "1"],
        [
            "bench",
            "feedback",
            "--updates",
            "20",
            "--kits",
            "1",
            "--windows",
            "2",
            "--naive-windows",
            "1",
        ],
    ],
)
def test_tiny_runs_write_json(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"
    assert run_bench(_parse([*argv, "--json", str(out), "--quiet"])) == 0
    document = json.loads(out.read_text())
    assert document["benchmark"] == argv[1]
    assert document["machine"]["cpu_count"] >= 1
    assert document["table"]["rows"]
    assert f"## bench {argv[1]}" in capsys.readouterr().out


@pytest.mark.parametrize("what", ["update", "hr", "cpr10", "cpr30", "detector"])
def test_feedback_cost_runs_each_work_on_fresh_input(what: str) -> None:
    from benchmarks.feedback_cost import run, work

    assert run(what, 2) > 0
    call = work(what, 3)
    outputs = [call() for _ in range(4)]  # the warm call and three more
    if what == "hr":
        assert outputs[0] is not None and outputs[0].bpm > 0  # the kit's pulse is found
    if what == "update":
        assert any(any(values) for values in outputs)  # some updates recomputed values
