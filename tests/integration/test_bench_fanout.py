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
