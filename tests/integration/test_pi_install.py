"""``pip install '.[pi]'`` into a fresh venv: only the kit's dependencies, and the kit runs.

The venv is built once per run from a copy of the source (so the checkout gets no
``build/``; pip's cache is reused), without the test venv's packages. Its
``accesstwin kit --simulate mixed`` then publishes to a private Mosquitto, and its
``accesstwin serve`` names the extra to install.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.broker import start_private_mosquitto
from tests.support.mqtt import Collector

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).parents[2]
SERVER_ONLY = {"fastapi", "uvicorn", "amqtt", "influxdb-client", "pydantic", "starlette"}
SERVER_ONLY |= {"pyttsx3", "prometheus-client", "pyyaml"}


def _copy_source(target: Path) -> None:
    """pyproject.toml, README.md and the packages pyproject installs (its include patterns)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, target / name)
    for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )


@pytest.fixture(scope="module")
def pi_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("pi-install")
    _copy_source(base / "src")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
         f"{base / 'src'}[pi]"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    return venv


def _installed(venv: Path) -> set[str]:
    listed = subprocess.run(
        [str(venv / "bin" / "pip"), "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    return {entry["name"].lower().replace("_", "-") for entry in json.loads(listed)}


def test_the_pi_extra_installs_the_kit_and_no_server_dependency(pi_venv: Path) -> None:
    installed = _installed(pi_venv)
    print(f"\n[pi] installs: {', '.join(sorted(installed))}")
    assert {"accesstwin", "paho-mqtt", "numpy", "smbus2", "gpiozero"} <= installed
    assert installed & SERVER_ONLY == set()


@pytest.fixture
def broker() -> Iterator[str]:
    mosquitto = start_private_mosquitto()
    try:
        yield mosquitto.url
    finally:
        mosquitto.stop()


def test_the_kit_runs_from_the_pi_install_and_publishes_telemetry(
    pi_venv: Path, broker: str, tmp_path: Path
) -> None:
    collector = Collector(broker, "pi-test/l/k/#")
    kit = subprocess.Popen(
        [str(pi_venv / "bin" / "accesstwin"), "kit", "--lab", "l", "--kit", "k",
         "--simulate", "mixed", "--mqtt-url", broker, "--mqtt-prefix", "pi-test"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        telemetry: list[dict[str, object]] = []
        while time.monotonic() < deadline and len(telemetry) < 10:
            telemetry = [
                json.loads(payload)
                for topic, payload in collector.wait_for(0, timeout=0.2)
                if topic == "pi-test/l/k/telemetry"
            ]
            assert kit.poll() is None, kit.communicate()[0]
        assert len(telemetry) >= 10, kit.communicate(timeout=1)[0] if kit.poll() else ""
        seqs = [message["seq"] for message in telemetry]
        assert seqs == list(range(1, len(seqs) + 1))
        assert any("waveforms" in message for message in telemetry)
        assert ("pi-test/l/k/status", b"online") in collector.messages
    finally:
        kit.send_signal(signal.SIGTERM)
        output, _ = kit.communicate(timeout=20)
        collector.close()
    assert kit.returncode == 0, output
    assert "kit l/k stopped:" in output


def test_serve_from_the_pi_install_names_the_server_extra(pi_venv: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(pi_venv / "bin" / "accesstwin"), "serve"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "needs the server's dependencies (fastapi" in line
    assert "pip install 'accesstwin[server]'" in line
