"""``accesstwin bench ingest`` end to end on a private Mosquitto (tiny workloads)."""

from __future__ import annotations

import pytest

from benchmarks.ingest import run_ingest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.parametrize("gateways", [1, 2])
def test_ingest_persists_every_message_with_one_or_two_partitioned_gateways(
    gateways: int,
) -> None:
    result = run_ingest(
        600, 6, None, "backlog", None, lambda text: None, waveforms=True, gateways=gateways
    )
    assert result.ok, result.notes
    data = result.data
    assert data["complete"]
    assert data["gateway"]["acked"] == 600
    assert data["gateway"]["stored"]["messages"] == 600
    assert data["ceiling"]["received"] == 600
    if gateways == 2:
        parts = data["gateway"]["partitions"]
        assert [p["partition"] for p in parts] == ["0/2", "1/2"]
        assert sum(p["messages"] for p in parts) == 600
        assert all(p["messages"] > 0 for p in parts)
