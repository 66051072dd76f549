from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from twin_service.errors import SettingsError
from twin_service.settings import _FIELDS, Settings, load_settings

TOKEN = "a-sufficiently-long-token"


def test_defaults_follow_the_contract() -> None:
    settings = load_settings({"ACCESSTWIN_API_TOKEN": TOKEN})
    assert settings.mqtt_url == "mqtt://127.0.0.1:1883"
    assert settings.mqtt_prefix == "accesstwin/v1"
    assert settings.store == "sqlite:///./accesstwin.db"
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8000)


def test_websocket_broadcast_is_on_unless_switched_off() -> None:
    assert load_settings({"ACCESSTWIN_API_TOKEN": TOKEN}).ws_broadcast is True
    for raw, wanted in (("false", False), ("0", False), ("Off", False), ("yes", True)):
        env = {"ACCESSTWIN_API_TOKEN": TOKEN, "ACCESSTWIN_WS_BROADCAST": raw}
        assert load_settings(env).ws_broadcast is wanted


def test_url_with_credentials_and_tls() -> None:
    settings = load_settings(
        {
            "ACCESSTWIN_API_TOKEN": TOKEN,
            "ACCESSTWIN_MQTT_URL": "mqtts://kit%40a:p%3Ass@broker.lab:8884",
        }
    )
    broker = settings.broker
    assert (broker.host, broker.port, broker.tls, broker.username, broker.password) == (
        "broker.lab",
        8884,
        True,
        "kit@a",
        "p:ss",
    )
    assert "p:ss" not in str(broker)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"ACCESSTWIN_HTTP_PORT": "eighty"}, "ACCESSTWIN_HTTP_PORT"),
        ({"ACCESSTWIN_HTTP_PORT": "70000"}, "ACCESSTWIN_HTTP_PORT"),
        ({"ACCESSTWIN_MQTT_URL": "http://x"}, "ACCESSTWIN_MQTT_URL"),
        ({"ACCESSTWIN_MQTT_PREFIX": "a/#"}, "ACCESSTWIN_MQTT_PREFIX"),
        ({"ACCESSTWIN_STORE": "postgres://x"}, "ACCESSTWIN_STORE"),
        ({"ACCESSTWIN_API_TOKEN": "changeme"}, "ACCESSTWIN_API_TOKEN"),
        ({"ACCESSTWIN_STALE_AFTER_S": "-1"}, "ACCESSTWIN_STALE_AFTER_S"),
        ({"ACCESSTWIN_SPEECH_ENGINE": "festival"}, "ACCESSTWIN_SPEECH_ENGINE: must be one of"),
        ({"ACCESSTWIN_WS_BROADCAST": "maybe"}, "ACCESSTWIN_WS_BROADCAST"),
    ],
)
def test_a_bad_setting_names_the_variable(env: dict[str, str], names: str) -> None:
    full = {"ACCESSTWIN_API_TOKEN": TOKEN, **env}
    with pytest.raises(SettingsError, match=names):
        load_settings(full)


def test_serve_refuses_to_start_without_a_token_in_one_line() -> None:
    env = {"PATH": "/usr/bin:/bin", "ACCESSTWIN_HTTP_PORT": "1"}
    result = run_cli(["serve"], env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("accesstwin: ACCESSTWIN_API_TOKEN")


def test_a_bad_broker_url_never_echoes_its_password() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(
            {
                "ACCESSTWIN_API_TOKEN": TOKEN,
                "ACCESSTWIN_MQTT_URL": "mqtt://kit:s3cret-pass@host:99999",
            }
        )
    assert "s3cret-pass" not in str(error.value)
    with pytest.raises(SettingsError) as error:
        load_settings(
            {
                "ACCESSTWIN_API_TOKEN": TOKEN,
                "ACCESSTWIN_MQTT_URL": "mqtt://kit:s3cret-pass@host/path",
            }
        )
    assert "s3cret-pass" not in str(error.value)


def test_the_per_kit_rate_limit_defaults_are_the_limiters_own() -> None:
    from gateway.ratelimit import DEFAULT_BURST, DEFAULT_RATE_PER_S

    settings = load_settings({"ACCESSTWIN_API_TOKEN": "a-long-enough-test-token"})
    assert settings.kit_rate_per_s == DEFAULT_RATE_PER_S == 50
    assert settings.kit_burst == DEFAULT_BURST == 500


@pytest.mark.parametrize("engine", ["auto", "system", "bundled"])
def test_the_speech_engine_can_be_forced(engine: str) -> None:
    full = {"ACCESSTWIN_API_TOKEN": TOKEN, "ACCESSTWIN_SPEECH_ENGINE": engine}
    assert load_settings(full).speech_engine == engine
    assert load_settings({"ACCESSTWIN_API_TOKEN": TOKEN}).speech_engine == "auto"


def test_secrets_can_stay_out_of_urls() -> None:
    settings = load_settings(
        {
            "ACCESSTWIN_API_TOKEN": TOKEN,
            "ACCESSTWIN_MQTT_URL": "mqtts://accesstwin@broker:8883",
            "ACCESSTWIN_MQTT_PASSWORD": "p@ss:word/1",
            "ACCESSTWIN_STORE": "influxdb://influxdb:8086/org/bucket",
            "ACCESSTWIN_INFLUX_TOKEN": "tok/en==",
        }
    )
    assert (settings.broker.username, settings.broker.password) == ("accesstwin", "p@ss:word/1")
    assert settings.store == "influxdb://tok%2Fen%3D%3D@influxdb:8086/org/bucket"
    assert "p@ss" not in repr(settings).split("store=")[0]
    with pytest.raises(SettingsError, match="ACCESSTWIN_MQTT_PASSWORD"):
        load_settings(
            {
                "ACCESSTWIN_API_TOKEN": TOKEN,
                "ACCESSTWIN_MQTT_URL": "mqtt://u:inline@broker",
                "ACCESSTWIN_MQTT_PASSWORD": "x",
            }
        )


def test_the_new_bounds_have_their_defaults_and_settings() -> None:
    settings = load_settings({"ACCESSTWIN_API_TOKEN": TOKEN})
    assert (settings.max_sensors_per_kit, settings.max_body_bytes) == (128, 1024 * 1024)
    assert settings.learner_token_grace_s == 3_600
    tuned = load_settings(
        {
            "ACCESSTWIN_API_TOKEN": TOKEN,
            "ACCESSTWIN_MAX_SENSORS_PER_KIT": "16",
            "ACCESSTWIN_MAX_BODY_BYTES": "2048",
            "ACCESSTWIN_LEARNER_TOKEN_GRACE_S": "0",
        }
    )
    assert (tuned.max_sensors_per_kit, tuned.max_body_bytes) == (16, 2048)
    with pytest.raises(SettingsError, match="ACCESSTWIN_MAX_SENSORS_PER_KIT"):
        load_settings({"ACCESSTWIN_API_TOKEN": TOKEN, "ACCESSTWIN_MAX_SENSORS_PER_KIT": "0"})


def test_every_setting_but_the_no_auth_flag_is_read_from_the_environment() -> None:
    """ACCESSTWIN_WS_DEFLATE was documented but never read: a setting missing from the
    environment table is silently ignored. --insecure-no-auth stays a flag on purpose."""
    fields = {f.name.upper() for f in dataclasses.fields(Settings) if f.init}
    assert fields - set(_FIELDS) == {"INSECURE_NO_AUTH"}
    assert set(_FIELDS) <= fields
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `ACCESSTWIN_([A-Z0-9_]+)`", readme, flags=re.MULTILINE))
    assert documented and documented <= set(_FIELDS), documented - set(_FIELDS)
    deflate = load_settings({"ACCESSTWIN_API_TOKEN": TOKEN, "ACCESSTWIN_WS_DEFLATE": "true"})
    assert deflate.ws_deflate is True
