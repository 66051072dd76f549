"""``accesstwin bench fanout`` end to end: a few Node.js clients for a few seconds."""

from __future__ import annotations

import shutil

import pytest

from benchmarks.fanout import FanoutOptions, run_fanout

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js"),
]


@pytest.mark.parametrize("broadcast", [True, False])
def test_a_tiny_lecture_delivers_updates_to_every_node_client(broadcast: bool) -> None:
    options = FanoutOptions(
        clients=[6],
        rate=50,
        kits=5,
        processes=2,
        seconds=2,
        warmup=0.5,
        sessions=0,
        broadcast=broadcast,
    )
    result = run_fanout(options, lambda text: None)
    (row,) = result.data["rounds"]
    assert row["connected"] == 6 and row["processes"] == 2
    assert row["latency_ms"]["n"] > 0
    assert row["delivered_pct"] > 50  # on a loaded machine some updates may be coalesced
    assert set(row["cpu_pct"]) >= {"service", "node 1", "node 2"}
    assert result.rows[0][0] == "6"


def test_clients_spread_over_api_replicas_and_each_replica_delivers() -> None:
    options = FanoutOptions(
        clients=[8],
        rate=50,
        kits=5,
        processes=4,
        seconds=2,
        warmup=0.5,
        sessions=2,
        api_replicas=2,
    )
    result = run_fanout(options, lambda text: None)
    (row,) = result.data["rounds"]
    assert row["clients_per_service"] == [4, 4]  # node process i → replica i mod 2
    assert row["connected"] == 8 and row["latency_ms"]["n"] > 0
    # one more hop (gateway → broker → replica); under the parallel run's load it lags
    assert row["delivered_pct"] > 25, row["delivered_pct"]
    assert set(row["cpu_pct"]) >= {"service", "api 1", "api 2"}
    assert " / " in result.rows[0][7]  # service CPU %: gateway / replica 1 / replica 2


def test_client_cost_counts_every_frame_and_reports_a_histogram_of_each_update() -> None:
    import asyncio

    from benchmarks.client_cost import measure
    from benchmarks.fanout import CLIENT_SCRIPT

    result = asyncio.run(
        measure(CLIENT_SCRIPT, clients=5, seconds=1.0, interval_ms=50, rate=250, kits=50)
    )
    assert result["connected"] == 5
    # every frame sent, bar the last few on a loaded machine
    assert result["expected_messages"] >= result["messages"] > 0.8 * result["expected_messages"]
    assert result["node_us_per_message"] > 0
    assert 8_000 < result["batch_bytes"] < 14_000  # 12-13 lecture-sized deltas
    report = result["report"]
    assert sum(report["histogram"].values()) == sum(report["updates"]) > 0
