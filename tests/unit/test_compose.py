"""docker-compose.yml, the Dockerfile and the Mosquitto config, checked as text and YAML.

No Docker engine is needed (or called): the files are parsed and their promises checked.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from twin_service.store.influx_url import parse_influx_url

ROOT = Path(__file__).parents[2]
MOSQUITTO = ROOT / "deploy" / "mosquitto"
SECRET_NAME = re.compile(r"TOKEN|PASSWORD", re.IGNORECASE)
REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)(:\?|:-|-|\?)?([^}]*)\}")
REQUIRED = re.compile(r"^\$\{[A-Z0-9_]+:\?[^}]+\}$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment as a mapping, so every value can be checked"
    return {str(k): str(v) for k, v in env.items()}


def test_the_three_services_are_there(compose: dict[str, Any]) -> None:
    assert set(services(compose)) == {"mosquitto", "influxdb", "accesstwin"}
    assert services(compose)["mosquitto"]["image"] == "eclipse-mosquitto:2"
    assert services(compose)["influxdb"]["image"] == "influxdb:2"
    assert services(compose)["accesstwin"]["build"] == "."


def test_every_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        check = service.get("healthcheck")
        assert check and check.get("test"), f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert "interval" in check and "retries" in check, name
    app_check = " ".join(services(compose)["accesstwin"]["healthcheck"]["test"])
    assert "/readyz" in app_check


def test_the_service_waits_for_healthy_broker_and_database(compose: dict[str, Any]) -> None:
    depends = services(compose)["accesstwin"]["depends_on"]
    assert depends == {
        "mosquitto": {"condition": "service_healthy"},
        "influxdb": {"condition": "service_healthy"},
    }


def compose_text() -> str:
    """docker-compose.yml without its comment lines."""
    lines = (ROOT / "docker-compose.yml").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def test_secrets_come_only_from_required_env_references(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert REQUIRED.match(value), f"{name}.{key} must be ${{VAR:?message}}: {value!r}"
            for var, operator, _ in REFERENCE.findall(value):
                if SECRET_NAME.search(var):
                    assert operator == ":?", f"{name}.{key}: ${{{var}}} must use :? (required)"
    for var, operator, _ in REFERENCE.findall(compose_text()):
        if SECRET_NAME.search(var):
            assert operator == ":?", f"${{{var}}} used without :? somewhere"


def test_the_service_urls_are_built_from_env(compose: dict[str, Any]) -> None:
    env = environment(services(compose)["accesstwin"])
    store = REFERENCE.sub(
        lambda m: m.group(3) if m.group(2) == ":-" else "x", env["ACCESSTWIN_STORE"]
    )
    assert "@" not in store  # the token comes apart, in ACCESSTWIN_INFLUX_TOKEN
    target = parse_influx_url(store.replace("://", "://token@", 1))
    assert (target.http_url, target.org, target.bucket) == (
        "http://influxdb:8086",
        "accesstwin",
        "twins",
    )
    assert str(target.spool_path).startswith("/data/")
    assert (
        env["ACCESSTWIN_MQTT_URL"] == "mqtts://accesstwin@mosquitto:8883?ca=/run/accesstwin/ca.crt"
    )
    assert env["ACCESSTWIN_MQTT_PASSWORD"].startswith("${MQTT_SERVICE_PASSWORD:?")
    assert env["ACCESSTWIN_INFLUX_TOKEN"].startswith("${INFLUX_TOKEN:?")
    influx = environment(services(compose)["influxdb"])
    assert influx["DOCKER_INFLUXDB_INIT_MODE"] == "setup"
    assert influx["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"].startswith("${INFLUX_TOKEN:?")
    assert "0.0.0.0" in services(compose)["accesstwin"]["command"]


def test_ports_and_volumes(compose: dict[str, Any]) -> None:
    svc = services(compose)
    assert svc["mosquitto"]["ports"] == ["${MQTT_TLS_PORT:-8883}:8883"]  # TLS only
    assert svc["accesstwin"]["ports"] == ["${HTTP_BIND:-127.0.0.1}:${HTTP_PORT:-8000}:8000"]
    assert (
        "./deploy/mosquitto/certs/ca.crt:/run/accesstwin/ca.crt:ro" in svc["accesstwin"]["volumes"]
    )
    assert svc["influxdb"]["ports"] == ["127.0.0.1:8086:8086"]  # admin UI: this host only
    assert "./deploy/mosquitto:/mosquitto/config:ro" in svc["mosquitto"]["volumes"]
    named = {"mosquitto-data", "influxdb-data", "influxdb-config", "accesstwin-data"}
    assert set(compose["volumes"]) == named
    mounts = {v.split(":")[0] for s in svc.values() for v in s["volumes"] if ":/run/" not in v}
    assert named <= mounts
    assert "accesstwin-data:/data" in svc["accesstwin"]["volumes"]


def test_env_example_has_no_values_for_secrets() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    pairs = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    for var in ("ACCESSTWIN_API_TOKEN", "MQTT_SERVICE_PASSWORD", "INFLUX_ADMIN_PASSWORD"):
        assert pairs[var] == "", f"{var} must ship empty"
    assert pairs["INFLUX_TOKEN"] == ""
    for var, _, _ in REFERENCE.findall(compose_text()):
        assert var in pairs, f"${{{var}}} is used but not in .env.example"


def test_dockerfile_runs_serve_as_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert re.search(r"^USER accesstwin$", text, re.MULTILINE)
    assert "RUN pip install '.[server]'" in text  # the server's dependencies
    assert 'CMD ["serve", "--http-host", "0.0.0.0"]' in text
    assert re.search(r"^HEALTHCHECK .*\n.*urllib.request.*/readyz", text, re.MULTILINE)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".git", ".venv", ".env", "*.db"} <= set(ignored)


def test_the_image_gets_every_package_pyproject_installs() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert f"COPY {package}/ {package}/" in text, f"the Dockerfile does not copy {package}/"


def conf_lines(path: Path) -> list[list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_mosquitto_requires_passwords_and_keeps_the_backlog() -> None:
    settings: dict[str, list[str]] = {}
    for words in conf_lines(MOSQUITTO / "mosquitto.conf"):
        settings.setdefault(words[0], []).append(" ".join(words[1:]))
    assert settings["allow_anonymous"] == ["false"]
    assert settings["password_file"] == ["/mosquitto/config/passwd"]
    assert settings["acl_file"] == ["/mosquitto/config/acl"]
    assert settings["persistence"] == ["true"]
    assert settings["max_queued_messages"] == ["200000"]
    assert settings["max_inflight_messages"] == ["1000"]
    # Plain MQTT only on the container's loopback; TLS for everyone else.
    assert settings["listener"] == ["1883 127.0.0.1", "8883"]
    assert settings["certfile"] == ["/mosquitto/config/certs/server.crt"]
    assert settings["keyfile"] == ["/mosquitto/config/certs/server.key"]
    # Issue 17: client ids bound to accounts; packet and queue bounds.
    assert settings["use_username_as_clientid"] == ["true", "true"]  # one per listener
    assert settings["max_packet_size"] == ["131072"]
    assert int(settings["max_queued_bytes"][0]) > 0


def test_no_secret_in_a_url_or_on_a_command_line(compose: dict[str, Any]) -> None:
    """Issue 17: secrets reach programs as variables of their own, never inside a URL
    (logged, shown in errors) or an argv (``ps``)."""
    for name, service in services(compose).items():
        for key, value in environment(service).items():
            userinfo = re.search(r"://([^/@]*)@", value)
            if userinfo:
                assert "${" not in userinfo.group(1), f"{name}.{key} carries a secret in its URL"
                assert ":" not in userinfo.group(1), f"{name}.{key} has a password in its URL"
        check = " ".join(service["healthcheck"]["test"])
        assert " -P " not in check and "--pw" not in check, f"{name}: password in argv"
    assert "XDG_CONFIG_HOME" in " ".join(services(compose)["mosquitto"]["healthcheck"]["test"])


def test_acl_limits_kits_to_their_own_topics() -> None:
    rules = conf_lines(MOSQUITTO / "acl")
    assert all(words[0] in ("user", "topic", "pattern") for words in rules)
    patterns = [(w[1], w[2]) for w in rules if w[0] == "pattern"]
    assert ("write", "accesstwin/v1/%u/telemetry") in patterns
    assert ("read", "accesstwin/v1/%u/desired") in patterns
    for access, topic in patterns:
        assert "%u" in topic and "#" not in topic and "+" not in topic, topic
        if access != "read":
            assert topic.startswith("accesstwin/v1/%u/") and not topic.endswith("desired")
    user_index = rules.index(["user", "accesstwin"])
    service = [w for w in rules[user_index + 1 :] if w[0] == "topic"]
    assert ["topic", "read", "accesstwin/v1/#"] in service
    assert ["topic", "write", "accesstwin/v1/+/+/desired"] in service
    assert ["topic", "write", "accesstwin/v1/_rejected/#"] in service


def test_password_script_is_executable_and_strict() -> None:
    script = MOSQUITTO / "make-passwords.sh"
    assert script.stat().st_mode & 0o111
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh") and "set -eu" in text
    assert "mosquitto_passwd -b" in text
    # A lab is an identifier not starting with "_" (the service's own topics).
    assert "[A-Za-z0-9-][A-Za-z0-9_-]{0,63}/[A-Za-z0-9_-]{1,64}" in text


def test_dockerfile_installs_espeak_ng_slim() -> None:
    """Speech needs espeak-ng in the image; installed without extras, apt lists removed."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    runs = re.findall(r"^RUN ((?:.*\\\n)*.*)$", text, re.MULTILINE)
    apt = [run for run in runs if "apt-get install" in run]
    assert len(apt) == 1, "one RUN installs the system packages"
    words = apt[0].replace("\\\n", " ").split()
    assert "apt-get" in words and "update" in words
    install = words.index("install")
    assert "--no-install-recommends" in words[install:] and "-y" in words[install:]
    assert {"espeak-ng", "libespeak-ng1"} <= set(words[install:])
    assert "rm -rf /var/lib/apt/lists/*" in " ".join(words)
    assert text.index("apt-get install") < text.index("USER accesstwin")
