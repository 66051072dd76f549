"""The pure parts of ``bench fanout``: the Node clients' lines, histograms, delivery."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks.fanout import (
    CLIENT_SCRIPT,
    FanoutOptions,
    delivered_pct,
    expand,
    histogram_summary,
    is_service,
    merge_histograms,
    node_command,
    parse_client_line,
    split_clients,
)
from benchmarks.stats import percentile


def report(histogram: dict[str, int], updates: list[int]) -> dict[str, object]:
    return {
        "event": "report",
        "clients": len(updates),
        "bin_ms": 0.1,
        "histogram": histogram,
        "updates": updates,
        "messages": updates,
        "connected": len(updates),
    }


def test_client_lines_are_parsed_or_refused_with_a_reason() -> None:
    assert parse_client_line('{"event": "ready", "connected": 3, "failed": 0}\n')["connected"] == 3
    line = json.dumps(report({"10": 2}, [1, 1]))
    assert parse_client_line(line)["histogram"] == {"10": 2}
    with pytest.raises(ValueError, match="not JSON"):
        parse_client_line("Error: connect ECONNREFUSED")
    with pytest.raises(ValueError, match="unexpected"):
        parse_client_line('{"event": "bye"}')
    with pytest.raises(ValueError, match="lacks 'updates'"):
        parse_client_line('{"event": "report", "clients": 1, "histogram": {}, "bin_ms": 0.1}')


def test_clients_are_split_evenly_over_processes() -> None:
    assert split_clients(1_000, 4) == [250, 250, 250, 250]
    assert split_clients(10, 4) == [3, 3, 2, 2]
    assert split_clients(2, 4) == [1, 1]


def test_merged_histograms_give_nearest_rank_percentiles_of_the_samples() -> None:
    samples = [0.1 * i for i in range(1, 1_001)]  # 0.1 .. 100.0 ms, one per bin
    first = {str(i): 1 for i in range(1, 501)}
    second = {str(i): 1 for i in range(501, 1_001)}
    merged, bin_ms = merge_histograms([report(first, [500]), report(second, [500])])
    assert bin_ms == 0.1 and sum(merged.values()) == 1_000
    summary = histogram_summary(merged, bin_ms)
    assert summary["n"] == 1_000
    assert summary["p50"] == pytest.approx(50.0)
    assert summary["p99"] == pytest.approx(99.0)
    assert summary["p99"] == pytest.approx(percentile(samples, 99), abs=0.1)
    assert summary["max"] == pytest.approx(100.0)
    assert summary["mean"] == pytest.approx(sum(samples) / 1_000)
    assert math.isnan(histogram_summary({}, 0.1)["p99"])


def test_a_heavy_tail_moves_the_p99_and_not_the_p50() -> None:
    summary = histogram_summary({200: 98, 10_000: 2}, 0.1)
    assert summary["p50"] == pytest.approx(20.0)
    assert summary["p99"] == pytest.approx(1_000.0)


def test_delivered_is_updates_per_client_over_published() -> None:
    reports = [report({}, [100, 90]), report({}, [100, 100])]
    assert delivered_pct(reports, 100) == pytest.approx(97.5)
    assert math.isnan(delivered_pct(reports, 0))
    assert math.isnan(delivered_pct([], 10))


def test_expand_thins_large_histograms_for_the_plot() -> None:
    assert expand({1: 2, 3: 1}, 0.5) == [0.5, 0.5, 1.5]
    thinned = expand({1: 1_000_000, 2: 1_000_000}, 1.0, limit=1_000)
    assert len(thinned) == 1_000 and set(thinned) == {1.0, 2.0}


@pytest.mark.parametrize("tcp", [False, True])
async def test_fanout_cost_delivers_one_frame_per_client_per_tick(tcp: bool) -> None:
    from benchmarks.fanout_cost import run

    result = await run(clients=10, ticks=3, interval_ms=20, tcp=tcp)
    assert result["delivered"] == 30
    assert result["cpu_us_per_message"] > 0
    assert 600 < result["delta_bytes"] < 1_000  # the lecture bench's delta size


def test_client_processes_run_the_chosen_script_and_cpu_profile_only_when_asked(
    tmp_path: Path,
) -> None:
    assert node_command("node", FanoutOptions()) == ["node", str(CLIENT_SCRIPT)]
    other = tmp_path / "old.mjs"
    profiled = FanoutOptions(client_script=other, node_profile_dir=tmp_path / "prof")
    assert node_command("node", profiled) == [
        "node",
        "--cpu-prof",
        f"--cpu-prof-dir={tmp_path / 'prof'}",
        str(other),
    ]
    assert (tmp_path / "prof").is_dir()


def test_the_service_cpu_is_the_gateway_and_its_api_replicas_not_the_broker_or_clients() -> None:
    names = ["service", "api 1", "api 2", "mosquitto", "node 1"]
    assert [n for n in names if is_service(n)] == ["service", "api 1", "api 2"]


def test_lean_deltas_drop_units_and_carry_one_received_at_and_every_value_and_time() -> None:
    from benchmarks.client_cost import batch_frame, lean_delta
    from benchmarks.fanout_cost import sample_delta

    delta = sample_delta(3, 7, 1_000.0)
    lean = lean_delta(delta)
    assert lean["received_at"] == delta["reported"]["hr"]["received_at"]
    for part in ("reported", "derived"):
        assert lean[part].keys() == delta[part].keys()
        for name, value in lean[part].items():
            assert "unit" not in value and "received_at" not in value
            assert value["value"] == delta[part][name]["value"]
            assert value["ts"] == delta[part][name]["ts"]  # the client's latency needs it
    contract, smaller = batch_frame(0, 12, 0, 50, 1_000.0), batch_frame(0, 12, 0, 50, 1_000.0, True)
    assert len(json.loads(smaller)["frames"]) == 12
    assert len(smaller) < 0.7 * len(contract)
