"""deploy/mosquitto's ACL, enforced by a real Mosquitto with passwords made by the script.

The broker runs with deploy/mosquitto/mosquitto.conf (paths, listener and log moved into
a temporary directory), deploy/mosquitto/acl as it is, and a password file written by
deploy/mosquitto/make-passwords.sh. Clients speak MQTT 3.1.1, where the broker drops a
publish the ACL denies without telling the publisher (the PUBACK still comes): so each
denial is asserted as an absence, after a later allowed message from the same client
has arrived (the broker delivers one client's messages in order).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from tests.support.broker import free_port, wait_for_port

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).parents[2] / "deploy" / "mosquitto"
P = "accesstwin/v1"  # the prefix the ACL is written for
SERVICE_PASSWORD = "svc-" + uuid.uuid4().hex
SERVICE_ACCOUNTS = ("accesstwin-gateway-0", "accesstwin-gateway-1", "accesstwin-api-0")


@dataclass(frozen=True)
class AclBroker:
    port: int
    kit_passwords: dict[str, str]
    tls_port: int = 0
    ca_file: Path | None = None


def deploy_conf_for_test(port: int, workdir: Path, tls_port: int) -> str:
    """The deploy config with its container paths, listeners and log moved for the test."""
    text = (DEPLOY / "mosquitto.conf").read_text(encoding="utf-8")
    replacements = {
        "\nlistener 1883 127.0.0.1\n": f"\nlistener {port} 127.0.0.1\n",
        "\nlistener 8883\n": f"\nlistener {tls_port} 127.0.0.1\n",
        "/mosquitto/config/": f"{workdir}/",
        "/mosquitto/data/": f"{workdir}/data/",
        "\nlog_dest stdout\n": f"\nlog_dest file {workdir}/mosquitto.log\n",
    }
    for old, new in replacements.items():
        assert old in text, f"mosquitto.conf no longer has {old.strip()!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def acl_broker() -> Iterator[AclBroker]:
    if shutil.which("mosquitto_passwd") is None:
        pytest.fail("mosquitto_passwd is missing (Debian: apt-get install mosquitto)")
    # Not under pytest's tmp_path: mosquitto drops root and cannot enter its 0700 parent.
    workdir = Path(tempfile.mkdtemp(prefix="accesstwin-acl-"))
    workdir.chmod(0o755)
    (workdir / "data").mkdir(mode=0o777)
    (workdir / "data").chmod(0o777)
    shutil.copy(DEPLOY / "acl", workdir / "acl")
    shutil.copy(DEPLOY / "make-passwords.sh", workdir / "make-passwords.sh")
    made = subprocess.run(
        [str(workdir / "make-passwords.sh"), "lab1/k1", "lab1/k2", *SERVICE_ACCOUNTS],
        env={**os.environ, "MQTT_SERVICE_PASSWORD": SERVICE_PASSWORD},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    kit_passwords = dict(line.split("\t") for line in made.stdout.splitlines())
    assert set(kit_passwords) == {"lab1/k1", "lab1/k2", *SERVICE_ACCOUNTS}
    # As root the script gives the file to uid 1883 (the eclipse-mosquitto image's user);
    # Debian's mosquitto runs as another user, so let it read the file here.
    for name in ("passwd", "acl"):
        (workdir / name).chmod(0o644)
    # The TLS listener's certificates, made by the shipped script (for 127.0.0.1).
    shutil.copy(DEPLOY / "make-certs.sh", workdir / "make-certs.sh")
    subprocess.run(
        [str(workdir / "make-certs.sh"), "127.0.0.1"],
        env={**os.environ, "CERTS_DIR": str(workdir / "certs")},
        capture_output=True,
        check=True,
        timeout=120,
    )
    (workdir / "certs").chmod(0o755)
    (workdir / "certs" / "server.key").chmod(0o644)  # Debian's mosquitto user reads it
    port, tls_port = free_port(), free_port()
    (workdir / "mosquitto.conf").write_text(deploy_conf_for_test(port, workdir, tls_port))
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    broker = subprocess.Popen(
        [binary, "-c", str(workdir / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        wait_for_port(tls_port)
        yield AclBroker(port, kit_passwords, tls_port, workdir / "certs" / "ca.crt")
    finally:
        broker.terminate()
        broker.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


class Client:
    """A paho MQTT 3.1.1 client with a username that records what it receives."""

    def __init__(
        self,
        port: int,
        username: str,
        password: str,
        client_id: str | None = None,
        clean_session: bool = True,
        ca_file: Path | None = None,
    ) -> None:
        self.received: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self.refusal: ReasonCode | None = None
        self.disconnects = 0
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id or "acl-" + uuid.uuid4().hex[:12],
            protocol=paho.MQTTv311,
            clean_session=clean_session,
        )
        self.client.username_pw_set(username, password)
        if ca_file is not None:
            self.client.tls_set(ca_certs=str(ca_file))
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if reason.is_failure:
            self.refusal = reason
            client.disconnect()
        self._connected.set()

    def _on_disconnect(self, *args: Any) -> None:
        self.disconnects += 1

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.received.append((message.topic, message.payload))

    def wait_connected(self) -> None:
        assert self._connected.wait(10), "no CONNACK"
        assert self.refusal is None, f"refused: {self.refusal}"

    def wait_refused(self) -> ReasonCode:
        assert self._connected.wait(10), "no CONNACK"
        assert self.refusal is not None, "the broker let this client in"
        return self.refusal

    def subscribe(self, topic: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *args: done.set()
        self.client.subscribe(topic, qos=1)
        assert done.wait(10), "no SUBACK"

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        """QoS 1, waiting for the PUBACK (which comes for denied publishes too)."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(10)
        assert info.is_published()

    def messages(self) -> list[tuple[str, bytes]]:
        with self._lock:
            return list(self.received)

    def wait_for(self, topic: str, payload: bytes, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while (topic, payload) not in self.messages():
            assert time.monotonic() < deadline, f"{topic} {payload!r} never arrived"
            time.sleep(0.02)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def service(acl_broker: AclBroker) -> Iterator[Client]:
    client = Client(acl_broker.port, "accesstwin", SERVICE_PASSWORD)
    client.wait_connected()
    client.subscribe(f"{P}/#")
    yield client
    client.close()


@pytest.fixture
def kit(acl_broker: AclBroker) -> Iterator[Client]:
    client = Client(acl_broker.port, "lab1/k1", acl_broker.kit_passwords["lab1/k1"])
    client.wait_connected()
    yield client
    client.close()


def test_a_kit_publishes_only_its_own_telemetry_input_and_status(
    service: Client, kit: Client
) -> None:
    marker = uuid.uuid4().hex
    kit.publish(f"{P}/lab1/k1/telemetry", f"own {marker}")
    kit.publish(f"{P}/lab1/k2/telemetry", f"other kit {marker}")
    kit.publish(f"{P}/lab2/k1/telemetry", f"other lab {marker}")
    kit.publish(f"{P}/lab1/k1/desired", f"own desired {marker}")
    kit.publish(f"{P}/lab1/k2/desired", f"other desired {marker}")
    kit.publish(f"{P}/_rejected/lab1/k1", f"rejection {marker}")
    kit.publish(f"{P}/lab1/k1/input", f"input {marker}")
    kit.publish(f"{P}/lab1/k1/status", f"status {marker}")
    kit.publish(f"{P}/lab1/k1/telemetry", f"control {marker}")  # allowed, sent last
    control = (f"{P}/lab1/k1/telemetry", f"control {marker}".encode())
    service.wait_for(*control)
    got = [(topic, body) for topic, body in service.messages() if marker.encode() in body]
    assert got == [
        (f"{P}/lab1/k1/telemetry", f"own {marker}".encode()),
        (f"{P}/lab1/k1/input", f"input {marker}".encode()),
        (f"{P}/lab1/k1/status", f"status {marker}".encode()),
        control,
    ]


def test_the_service_reads_everything_and_a_kit_only_its_own_desired_state(
    service: Client, kit: Client, acl_broker: AclBroker
) -> None:
    marker = uuid.uuid4().hex
    for topic in ("lab1/k1/desired", "lab1/k2/desired", "lab1/k2/telemetry", "_rejected/#"):
        kit.subscribe(f"{P}/{topic}")  # delivered only where the ACL lets the kit read
    other = Client(acl_broker.port, "lab1/k2", acl_broker.kit_passwords["lab1/k2"])
    other.wait_connected()
    try:
        other.publish(f"{P}/lab1/k2/telemetry", f"k2 telemetry {marker}")
        service.publish(f"{P}/lab1/k2/desired", f"k2 desired {marker}")
        service.publish(f"{P}/_rejected/lab1/k2", f"k2 rejected {marker}")
        service.publish(f"{P}/_rejected/lab1/k1", f"k1 rejected {marker}")
        service.publish(f"{P}/lab1/k1/desired", f"k1 desired {marker}")
    finally:
        other.close()
    kit.wait_for(f"{P}/lab1/k1/desired", f"k1 desired {marker}".encode())
    seen_by_kit = [body for _, body in kit.messages() if marker.encode() in body]
    assert seen_by_kit == [f"k1 rejected {marker}".encode(), f"k1 desired {marker}".encode()]
    service.wait_for(f"{P}/lab1/k1/desired", f"k1 desired {marker}".encode())
    seen_by_service = {body for _, body in service.messages() if marker.encode() in body}
    assert seen_by_service == {
        f"{what} {marker}".encode()
        for what in ("k2 telemetry", "k2 desired", "k2 rejected", "k1 rejected", "k1 desired")
    }


@pytest.mark.parametrize(
    ("username", "password"),
    [("lab1/k1", "wrong-password"), ("accesstwin", "wrong-password"), ("lab1/k9", "x")],
)
def test_unknown_users_and_wrong_passwords_are_refused(
    acl_broker: AclBroker, username: str, password: str
) -> None:
    client = Client(acl_broker.port, username, password)
    try:
        assert "not authorized" in str(client.wait_refused()).lower()
    finally:
        client.close()


@pytest.mark.parametrize("tls", [False, True], ids=["loopback", "tls"])
def test_a_kits_credentials_cannot_take_the_gateways_or_another_kits_client_id(
    acl_broker: AclBroker, tls: bool
) -> None:
    """Issue 17, must show 3: the client id is the username (use_username_as_clientid).

    The gateway has a persistent session with messages queued while it is away; a client
    with a kit's credentials naming the gateway's client id (or another kit's) connects as
    that kit, so the gateway's session and backlog survive and the other kit stays on.
    """
    port = acl_broker.tls_port if tls else acl_broker.port
    ca = acl_broker.ca_file if tls else None

    def connect_as(account: str, client_id: str | None = None, clean: bool = True) -> Client:
        password = (
            SERVICE_PASSWORD if account == "accesstwin" else acl_broker.kit_passwords[account]
        )
        return Client(port, account, password, client_id, clean, ca)

    gateway_id = "accesstwin-gateway-0"
    marker = uuid.uuid4().hex
    gateway = connect_as(gateway_id, gateway_id, clean=False)
    gateway.wait_connected()
    gateway.subscribe(f"{P}/+/+/telemetry")
    gateway.close()  # away: its session keeps what arrives
    kit = connect_as("lab1/k1")
    kit.wait_connected()
    for i in range(5):
        kit.publish(f"{P}/lab1/k1/telemetry", f"backlog {i} {marker}")
    kit.close()
    # The attempt: a kit's credentials, the gateway's client id, a clean session (which
    # would discard the gateway's session and its backlog if the id were taken).
    thief = connect_as("lab1/k1", gateway_id, clean=True)
    thief.wait_connected()
    thief.close()
    back = connect_as(gateway_id, gateway_id, clean=False)
    try:
        back.wait_connected()
        for i in range(5):
            back.wait_for(f"{P}/lab1/k1/telemetry", f"backlog {i} {marker}".encode())
        # Online: a kit naming another kit's client id does not kick that kit off.
        k2 = connect_as("lab1/k2", "lab1/k2")
        k2.wait_connected()
        intruder = connect_as("lab1/k1", "lab1/k2")
        intruder.wait_connected()
        intruder.publish(f"{P}/lab1/k1/telemetry", f"intruder {marker}")
        k2.publish(f"{P}/lab1/k2/telemetry", f"k2 still on {marker}")
        back.wait_for(f"{P}/lab1/k2/telemetry", f"k2 still on {marker}".encode())
        assert k2.disconnects == 0 and back.disconnects == 0
        intruder.close()
        k2.close()
    finally:
        back.close()


def test_only_a_gateway_writes_twin_states(service: Client, acl_broker: AclBroker) -> None:
    """Kits, API replicas and the all-in-one service (``service``) cannot publish into
    ``_twin``; a gateway can, and a replica's account reads it."""
    marker = uuid.uuid4().hex
    pw = acl_broker.kit_passwords
    kit = Client(acl_broker.port, "lab1/k1", pw["lab1/k1"])
    gateway = Client(acl_broker.port, "accesstwin-gateway-1", pw["accesstwin-gateway-1"])
    replica = Client(acl_broker.port, "accesstwin-api-0", pw["accesstwin-api-0"])
    try:
        for client in (kit, gateway, replica):
            client.wait_connected()
        replica.subscribe(f"{P}/_twin/#")
        for name, writer in (("kit", kit), ("api", replica), ("all-in-one", service)):
            writer.publish(f"{P}/_twin/lab1/k1", f"{name} {marker}")
        gateway.publish(f"{P}/_twin/lab1/k1", f"gateway {marker}")
        replica.wait_for(f"{P}/_twin/lab1/k1", f"gateway {marker}".encode())
        service.wait_for(f"{P}/_twin/lab1/k1", f"gateway {marker}".encode())
        for reader in (replica, service):
            got = {body for _, body in reader.messages() if marker.encode() in body}
            assert got == {f"gateway {marker}".encode()}
    finally:
        for client in (kit, gateway, replica):
            client.close()


def test_scale_out_works_under_the_shipped_acl(acl_broker: AclBroker, tmp_path: Path) -> None:
    """A gateway partition and an API replica, each with its own account, over the shipped
    TLS listener with the certificates of make-certs.sh and the password apart from the
    URL: the replica serves the twin the gateway ingested (through ``_twin``, which only
    gateways write)."""
    from tests.support.service import ServiceProcess

    pw = acl_broker.kit_passwords

    def url(account: str) -> str:
        return f"mqtts://{account}@127.0.0.1:{acl_broker.tls_port}?ca={acl_broker.ca_file}"

    db = tmp_path / "shared.db"
    gateway = ServiceProcess(
        mqtt_url=url("accesstwin-gateway-0"),
        db_path=db,
        prefix=P,
        extra_env={
            "ACCESSTWIN_ROLE": "gateway",
            "ACCESSTWIN_MQTT_PASSWORD": pw["accesstwin-gateway-0"],
        },
    )
    api = ServiceProcess(
        mqtt_url=url("accesstwin-api-0"),
        db_path=db,
        prefix=P,
        extra_env={"ACCESSTWIN_ROLE": "api", "ACCESSTWIN_MQTT_PASSWORD": pw["accesstwin-api-0"]},
    )
    kit = Client(acl_broker.port, "lab1/k2", pw["lab1/k2"])
    started: list[ServiceProcess] = []
    try:
        for process in (gateway, api):
            process.start()
            started.append(process)
        kit.wait_connected()
        kit.publish(
            f"{P}/lab1/k2/telemetry",
            json.dumps({"ts": time.time(), "seq": 1, "readings": {"hr": 77}}),
        )
        deadline = time.monotonic() + 20
        while True:
            response = httpx.get(api.base_url + "/api/v1/twins/lab1/k2", headers=api.headers)
            if response.status_code == 200 and "hr" in response.json()["reported"]:
                break
            assert time.monotonic() < deadline, f"the replica never saw the twin: {api.log()}"
            time.sleep(0.1)
        assert response.json()["reported"]["hr"]["value"] == 77
    finally:
        kit.close()
        for process in started:
            process.stop()
