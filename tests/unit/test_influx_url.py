"""``influxdb://`` store URLs: parsing, one-line errors that never show the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin_service.errors import SettingsError
from twin_service.settings import load_settings
from twin_service.store.factory import check_store_url, open_store
from twin_service.store.influx import InfluxStore
from twin_service.store.influx_url import InfluxTarget, parse_influx_url, redact

TOKEN = "s3cr3t-Token_with=padding=="


def test_a_full_url_parses() -> None:
    target = parse_influx_url(
        f"influxdb://{TOKEN}@influx.lab:9999/my%20org/twins"
        "?spool=/data/spool.db&spool_max_points=100&spool_after_s=5&timeout_s=2.5"
    )
    assert target == InfluxTarget(
        "http://influx.lab:9999", "my org", "twins", TOKEN, Path("/data/spool.db"), 100, 5.0, 2.5
    )
    assert TOKEN not in repr(target)


def test_defaults_tls_ipv6_and_encoded_tokens() -> None:
    plain = parse_influx_url("influxdbs://a%2Fb%40c@db/org/bucket")
    assert (plain.http_url, plain.token, plain.spool_after_s) == ("https://db:8086", "a/b@c", 30)
    assert plain.spool_path == Path("./accesstwin-influx-spool.db")
    assert parse_influx_url("influxdb://t@[::1]:8087/o/b").http_url == "http://[::1]:8087"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("influxdb://influx:8086/org/bucket", "token"),
        (f"influxdb://{TOKEN}@:8086/org/bucket", "host is missing"),
        (f"influxdb://{TOKEN}@influx:http/org/bucket", "port"),
        (f"influxdb://{TOKEN}@influx:8086/org", "exactly /ORG/BUCKET"),
        (f"influxdb://{TOKEN}@influx:8086/org/bucket/extra", "exactly /ORG/BUCKET"),
        (f"influxdb://{TOKEN}@influx:8086/org//", "exactly /ORG/BUCKET"),
        (f"influxdb://{TOKEN}@influx/o/b?colour=red", "unknown option 'colour'"),
        (f"influxdb://{TOKEN}@influx/o/b?spool_max_points=lots", "whole number"),
        (f"influxdb://{TOKEN}@influx/o/b?spool_after_s=-1", "number ≥ 0"),
        (f"influxdb://{TOKEN}@influx/o/b?timeout_s=0", "more than 0"),
        (f"influxdb://{TOKEN}@influx/o/b?spool=", "file path"),
        (f"influxdb://{TOKEN}@influx/o/b#x", "fragment"),
    ],
)
def test_malformed_urls_say_what_is_wrong_without_the_token(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        parse_influx_url(url)
    message = str(caught.value)
    assert "influxdb://TOKEN@HOST[:PORT]/ORG/BUCKET" in message
    assert TOKEN not in message and "\n" not in message


def test_settings_fail_in_one_line_naming_the_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {"ACCESSTWIN_STORE": f"influxdb://{TOKEN}@influx/org", "ACCESSTWIN_API_TOKEN": "x" * 20}
        )
    assert str(caught.value).startswith("ACCESSTWIN_STORE: must be influxdb://")
    assert TOKEN not in str(caught.value) and "\n" not in str(caught.value)


def test_unknown_schemes_are_redacted_too() -> None:
    assert redact(f"influx://{TOKEN}@host/o/b") == "influx://***@host/o/b"
    with pytest.raises(ValueError, match="unknown store") as caught:
        check_store_url(f"influx://{TOKEN}@host/o/b")
    assert TOKEN not in str(caught.value)


def test_the_factory_opens_an_influx_store(tmp_path: Path) -> None:
    store = open_store(f"influxdb://{TOKEN}@db:8086/o/b?spool={tmp_path / 's.db'}")
    assert isinstance(store, InfluxStore)
    assert repr(store) == "InfluxStore(http://db:8086 org='o' bucket='b')"
