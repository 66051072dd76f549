"""``KitSettings``: the kit's own settings, flags over environment, each bad one named."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.agent.settings import KIT_ENVIRONMENT, KitSettingsError, load_kit_settings
from gateway.identifiers import KitRef
from gateway.mqtt_url import BrokerAddress

KIT = {"lab": "lab1", "kit": "kit1"}


def test_the_defaults_are_a_local_broker_and_the_contract_prefix() -> None:
    settings = load_kit_settings(KIT, environ={})
    assert settings.ref == KitRef("lab1", "kit1")
    assert settings.broker == BrokerAddress("127.0.0.1", 1883)
    assert settings.topics.prefix == "accesstwin/v1"
    assert (settings.simulate, settings.seed, settings.config, settings.spool) == (
        None,
        0,
        None,
        None,
    )


def test_the_environment_gives_broker_prefix_config_and_spool_and_flags_win() -> None:
    environ = {
        "ACCESSTWIN_MQTT_URL": "mqtts://lab1%2Fkit1:s3cret@twin.example.org?ca=/etc/hostname",
        "ACCESSTWIN_MQTT_PREFIX": "campus/v1",
        "ACCESSTWIN_KIT_CONFIG": "/etc/kit.toml",
        "ACCESSTWIN_KIT_SPOOL": "/var/lib/kit/spool.db",
    }
    settings = load_kit_settings(KIT, environ=environ)
    assert settings.broker == BrokerAddress(
        "twin.example.org", 8883, tls=True, username="lab1/kit1", password="s3cret",
        ca_file="/etc/hostname",
    )  # fmt: skip
    assert settings.topics.prefix == "campus/v1"
    assert (settings.config, settings.spool) == ("/etc/kit.toml", "/var/lib/kit/spool.db")
    flags = {**KIT, "mqtt_url": "mqtt://10.0.0.2:1884", "spool": "here.db", "config": None}
    settings = load_kit_settings(flags, environ=environ)
    assert settings.broker == BrokerAddress("10.0.0.2", 1884)
    assert (settings.config, settings.spool) == ("/etc/kit.toml", "here.db")


def test_server_settings_do_not_stop_a_kit() -> None:
    environ = {
        "ACCESSTWIN_STORE": "sqlite:////nonexistent/dir/x.db",
        "ACCESSTWIN_API_TOKEN": "short",
        "ACCESSTWIN_HTTP_PORT": "not-a-port",
        "ACCESSTWIN_ROLE": "nonsense",
    }
    assert load_kit_settings(KIT, environ=environ).ref == KitRef("lab1", "kit1")


@pytest.mark.parametrize(
    ("flags", "environ", "message"),
    [
        (KIT, {"ACCESSTWIN_MQTT_URL": "http://u:hunter2@host"}, "ACCESSTWIN_MQTT_URL: must start"),
        (KIT, {"ACCESSTWIN_MQTT_URL": "mqtt://host?ca=/x.pem"}, "ACCESSTWIN_MQTT_URL: ca= needs"),
        (KIT, {"ACCESSTWIN_MQTT_PREFIX": "/lead"}, "ACCESSTWIN_MQTT_PREFIX: "),
        ({"lab": "lab 1", "kit": "k"}, {}, "lab 'lab 1' must match"),
        ({"lab": "l", "kit": "k/1"}, {}, "kit 'k/1' must match"),
        ({"lab": "l"}, {}, "--kit: required"),
        ({**KIT, "simulate": "ecg"}, {}, "--simulate: must be one of vitals, cpr, mixed, switch"),
        ({**KIT, "log_level": "loud"}, {}, "--log-level: must be one of"),
        ({**KIT, "spool": ""}, {}, "--spool: must not be empty"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(
    flags: dict[str, object], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(KitSettingsError) as caught:
        load_kit_settings(flags, environ=environ)
    assert str(caught.value).startswith(message), caught.value
    assert "hunter2" not in str(caught.value)


def test_the_pi_example_environment_is_what_the_kit_reads() -> None:
    path = Path(__file__).parents[2] / "deploy" / "pi" / "kit.env.example"
    lines = [line for line in path.read_text().splitlines() if line and line[0] != "#"]
    environ = dict(line.split("=", 1) for line in lines)
    unit = (path.parent / "accesstwin-kit.service").read_text()
    assert "--lab ${ACCESSTWIN_LAB} --kit ${ACCESSTWIN_KIT}" in unit
    read = {f"ACCESSTWIN_{name}" for name in ("LAB", "KIT", *KIT_ENVIRONMENT)}
    assert set(environ) <= read
    flags = {"lab": environ["ACCESSTWIN_LAB"], "kit": environ["ACCESSTWIN_KIT"]}
    settings = load_kit_settings(flags, environ=environ)
    assert (settings.broker.host, settings.broker.tls, settings.broker.username) == (
        "twin.example.org",
        True,
        "kit1",
    )
