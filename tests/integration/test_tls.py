"""MQTT over TLS with usernames and passwords: the gateway and the kit agent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.broker import free_port, wait_for_port
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run(*args: str, cwd: Path) -> None:
    subprocess.run(list(args), cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture
def tls_broker() -> Iterator[tuple[int, Path]]:
    """Mosquitto with a TLS listener (certificate from a throwaway CA) and passwords."""
    # Not under pytest's tmp_path: mosquitto drops root and cannot enter its 0700 parent.
    d = Path(tempfile.mkdtemp(prefix="accesstwin-tls-"))
    d.chmod(0o755)
    run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=accesstwin test CA",
        cwd=d,
    )
    run(
        "openssl",
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
        cwd=d,
    )
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run(
        "openssl",
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
        cwd=d,
    )
    run("mosquitto_passwd", "-c", "-b", "passwd", "gateway", "gw-secret-123", cwd=d)
    run("mosquitto_passwd", "-b", "passwd", "lab1/kit1", "kit-secret-456", cwd=d)
    for f in d.iterdir():
        f.chmod(0o644)  # mosquitto drops root and reads them as its own user
    port = free_port()
    (d / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\ncafile {d}/ca.pem\ncertfile {d}/server.pem\n"
        f"keyfile {d}/server.key\nallow_anonymous false\npassword_file {d}/passwd\n"
        "persistence false\n"
    )
    broker = subprocess.Popen(
        [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(d / "mosquitto.conf")]
    )
    try:
        wait_for_port(port)
        yield port, d / "ca.pem"
    finally:
        broker.terminate()
        broker.wait(10)
        shutil.rmtree(d, ignore_errors=True)


def test_gateway_and_kit_agent_over_tls_with_passwords(
    tls_broker: tuple[int, Path], tmp_path: Path
) -> None:
    port, ca = tls_broker
    service = ServiceProcess(
        mqtt_url=f"mqtts://gateway:gw-secret-123@127.0.0.1:{port}?ca={ca}",
        db_path=tmp_path / "twin.db",
    )
    service.start()  # ready = connected over TLS, logged in and subscribed
    kit_env = {
        **os.environ,
        "ACCESSTWIN_MQTT_PREFIX": service.prefix,
        "ACCESSTWIN_MQTT_URL": f"mqtts://lab1%2Fkit1:kit-secret-456@127.0.0.1:{port}?ca={ca}",
    }
    kit = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "twin_service.cli",
            "kit",
            "--lab",
            "lab1",
            "--kit",
            "kit1",
            "--simulate",
            "vitals",
            "--spool",
            str(tmp_path / "spool.db"),
        ],
        env=kit_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        twin: dict[str, object] = {}
        while time.monotonic() < deadline:
            response = httpx.get(
                service.base_url + "/api/v1/twins/lab1/kit1", headers=service.headers, timeout=5
            )
            if response.status_code == 200:
                twin = response.json()
                if "hr" in twin["reported"] and twin["online"]:  # type: ignore[operator]
                    break
            time.sleep(0.25)
        assert "hr" in twin.get("reported", {}), "no telemetry arrived over TLS"  # type: ignore[operator]
        assert twin["online"] is True
    finally:
        kit.terminate()
        kit.wait(20)
        service.stop()


def test_a_wrong_password_keeps_the_service_unready(
    tls_broker: tuple[int, Path], tmp_path: Path
) -> None:
    port, ca = tls_broker
    service = ServiceProcess(
        mqtt_url=f"mqtts://gateway:wrong-password@127.0.0.1:{port}?ca={ca}",
        db_path=tmp_path / "twin.db",
    )
    with pytest.raises(TimeoutError):
        service.start(timeout=6)
    try:
        # On a loaded machine the HTTP side may still be starting: wait until it answers.
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(service.base_url + "/readyz", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert ready.status_code == 503
        assert ready.json()["mqtt_connected"] is False
        assert "refused" in service.log()
    finally:
        service.stop()


def other_ca(tmp_path: Path) -> Path:
    """The CA of another broker, made by deploy/mosquitto/make-certs.sh."""
    script = Path(__file__).parents[2] / "deploy" / "mosquitto" / "make-certs.sh"
    certs = tmp_path / "other-certs"
    subprocess.run(
        [str(script), "127.0.0.1"],
        env={**os.environ, "CERTS_DIR": str(certs)},
        check=True,
        capture_output=True,
        timeout=120,
    )
    return certs / "ca.crt"


@pytest.mark.parametrize("wrong", ["ca", "host name"])
def test_tls_refuses_a_wrong_ca_and_a_wrong_host_name(
    tls_broker: tuple[int, Path], tmp_path: Path, wrong: str
) -> None:
    """Issue 17: the broker's certificate is for IP 127.0.0.1 and signed by its own CA.
    Trusting another CA, or naming the broker "localhost" (the same address, but not the
    name on the certificate), the service never connects."""
    port, ca = tls_broker
    if wrong == "ca":
        url = f"mqtts://gateway:gw-secret-123@127.0.0.1:{port}?ca={other_ca(tmp_path)}"
    else:
        url = f"mqtts://gateway:gw-secret-123@localhost:{port}?ca={ca}"
    service = ServiceProcess(mqtt_url=url, db_path=tmp_path / "twin.db")
    with pytest.raises(TimeoutError):
        service.start(timeout=6)
    try:
        deadline = time.monotonic() + 30  # a loaded machine may still be starting it
        while "CERTIFICATE_VERIFY_FAILED" not in service.log():
            assert time.monotonic() < deadline, service.log()
            time.sleep(0.2)
        ready = httpx.get(service.base_url + "/readyz", timeout=5)
        assert ready.status_code == 503
        assert ready.json()["mqtt_connected"] is False
    finally:
        service.stop()
