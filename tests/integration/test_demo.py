"""Issue 2, must-show 4: ``accesstwin demo`` from a fresh virtual environment, no broker.

Installed as the README says: ``pip install '.[server]' && accesstwin demo``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.broker import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("demo-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", f"{REPO}[server]"],
        check=True,
        timeout=900,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return venv


def test_demo_serves_live_simulated_data_within_15_seconds(
    fresh_venv: Path, tmp_path: Path
) -> None:
    http_port, mqtt_port = free_port(), free_port()  # nothing listens on mqtt_port
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCESSTWIN_")}
    env.update(
        ACCESSTWIN_MQTT_URL=f"mqtt://127.0.0.1:{mqtt_port}",
        ACCESSTWIN_HTTP_PORT=str(http_port),
        PYTHONUNBUFFERED="1",
    )
    started = time.monotonic()
    demo = subprocess.Popen(
        [str(fresh_venv / "bin" / "accesstwin"), "demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        assert demo.stdout is not None
        url = None
        while url is None and time.monotonic() - started < 15:
            line = demo.stdout.readline()
            if not line:
                break
            output.append(line)
            found = re.search(r"Instructor dashboard: (http://\S+)", line)
            url = found.group(1) if found else None
        assert url, "demo printed no dashboard URL:\n" + "".join(output)
        assert any("embedded MQTT broker" in line for line in output)
        page = httpx.get(url, timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
        token = re.search(r"token=([\w-]+)", url)
        assert token
        ws_url = f"ws://127.0.0.1:{http_port}/ws/labs/demo?token={token.group(1)}"
        kits_live: set[str] = set()
        with connect(ws_url) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
            while len(kits_live) < 3 and time.monotonic() - started < 15:
                frame = json.loads(ws.recv(timeout=max(0.1, 15 - (time.monotonic() - started))))
                if frame["type"] == "twin.delta" and frame["reported"]:
                    newest = max(v["ts"] for v in frame["reported"].values())
                    assert abs(newest - time.time()) < 5, "demo data is not live"
                    kits_live.add(frame["kit"])
        assert kits_live == {"kit-1", "kit-2", "kit-3"}, f"live after 15 s: {kits_live}"
        assert time.monotonic() - started < 15
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            rest, _ = demo.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()
            rest, _ = demo.communicate()
    assert demo.returncode == 0, "".join(output) + rest
    assert "accesstwin demo stopped." in rest
