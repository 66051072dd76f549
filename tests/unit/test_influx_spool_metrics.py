"""The InfluxDB spool's fill and bound are exported in /metrics when that store is used."""

from __future__ import annotations

from pathlib import Path

from twin_service.runtime import Runtime
from twin_service.settings import Settings

TOKEN = "spool-metrics-test-token"


def test_an_influx_runtime_exports_its_spool_and_others_do_not(tmp_path: Path) -> None:
    spool = tmp_path / "spool.db"
    url = f"influxdb://tok@127.0.0.1:9/org/bucket?spool={spool}&spool_max_points=1234"
    influx = Runtime(Settings(api_token=TOKEN, store=url)).metrics.render().decode()
    assert "accesstwin_influx_spooled_points 0.0" in influx
    assert "accesstwin_influx_spool_max_points 1234.0" in influx
    plain = Runtime(Settings(api_token=TOKEN, store="memory://")).metrics.render().decode()
    assert "accesstwin_influx_spool" not in plain
