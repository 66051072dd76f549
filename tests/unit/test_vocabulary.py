"""The shared vocabulary (accesstwin_contract): its table, topics, payloads, frames, groups."""

from __future__ import annotations

import ast
import base64
import json
import math
import sys
from pathlib import Path

import pytest

import accesstwin_contract
from accesstwin_contract.frames import STATE_FRAME_TYPES, status_frame
from accesstwin_contract.groups import lab_group, session_group
from accesstwin_contract.identifiers import KitRef
from accesstwin_contract.payloads import REJECTED_PAYLOAD_KEEP, rejection_payload
from accesstwin_contract.quantities import (
    DERIVED,
    DERIVED_NAMES,
    KNOWN_NAMES,
    QUANTITIES,
    SENSORS,
    Quantity,
    unit_of,
    unit_of_value,
    vocabulary_document,
    waveform_rate_error,
)
from accesstwin_contract.topics import Channel, KitTopic, TopicError, TopicScheme
from gateway.telemetry import Dropped

PACKAGE = Path(accesstwin_contract.__file__).parent


def test_the_package_imports_only_the_standard_library_and_itself() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                assert top == "accesstwin_contract" or top in sys.stdlib_module_names, (
                    f"{path.name} imports {top}"
                )
    assert (PACKAGE / "py.typed").is_file()


def test_names_are_unique_and_each_is_reported_or_derived() -> None:
    names = [q.name for q in QUANTITIES]
    assert len(names) == len(set(names))
    assert set(SENSORS) | set(DERIVED) == KNOWN_NAMES == set(names)
    assert not set(SENSORS) & set(DERIVED)
    assert {"hr_ppg", "cpr_rate", "cpr_depth_mm", "cpr_recoil_pct", "cpr_ccf"} <= DERIVED_NAMES


def test_every_reported_sensor_has_a_finite_physical_range_and_a_label() -> None:
    for spec in SENSORS.values():
        assert math.isfinite(spec.minimum) and math.isfinite(spec.maximum), spec.name
        assert spec.label, spec.name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "9hr"}, "must match"),
        ({"minimum": 5, "maximum": 5}, "minimum must be below maximum"),
        ({"kind": "derived", "waveform": True}, "only reported sensors are waveforms"),
    ],
)
def test_a_malformed_entry_fails_at_import_time(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"name": "x", "unit": "", "label": "X", **kwargs}
    with pytest.raises(ValueError, match=message):
        Quantity(**fields)  # type: ignore[arg-type]


def test_ranges_and_rates_say_what_is_wrong() -> None:
    assert SENSORS["spo2"].range_error(100) is None
    assert SENSORS["spo2"].range_error(100.5) == "spo2=100.5 outside physical range 0..100 %"
    assert waveform_rate_error("ppg", 5) == "rate_hz=5 outside 10..1000 Hz for ppg"
    assert waveform_rate_error("some_new_wave", 5) is None  # the default 1..1000 Hz


def test_derived_units_are_not_reported_units() -> None:
    # A kit that sends a reading named like a derived value gets it unitless, as before;
    # history and restore know the derived unit.
    assert unit_of("hr_ppg") == ""
    assert unit_of_value("hr_ppg") == "bpm"
    assert unit_of_value("cpr_recoil_pct") == "%"
    assert unit_of_value("hr") == unit_of("hr") == "bpm"
    assert unit_of_value("not_listed") == ""


def test_the_page_document_is_json_with_every_quantity_in_order() -> None:
    document = json.loads(json.dumps(vocabulary_document(), allow_nan=False))
    assert [e["name"] for e in document["reported"]] == list(SENSORS)
    assert [e["name"] for e in document["derived"]] == list(DERIVED)
    hr_ppg = document["derived"][0]
    assert hr_ppg["unit"] == "bpm" and hr_ppg["minimum"] is None  # unbounded


def test_topics_are_parsed_in_one_place() -> None:
    scheme = TopicScheme("p/v1")
    kit = KitRef("lab1", "kit1")
    assert scheme.parse("p/v1/lab1/kit1/input") == KitTopic(kit, Channel.INPUT)
    assert isinstance(scheme.parse("p/v1/_twin/lab1/kit1"), TopicError)
    assert scheme.is_twin_topic(scheme.twin_topic(kit))
    assert scheme.twin_kit(scheme.twin_topic(kit)) == kit
    with pytest.raises(ValueError, match="not a twin-state topic"):
        scheme.twin_kit("p/v1/lab1/kit1/status")
    with pytest.raises(ValueError, match="must match"):
        scheme.twin_kit("p/v1/_twin/lab1/kit/1")
    assert scheme.channel_of("p/v1/bad lab/kit1/telemetry") is Channel.TELEMETRY
    assert scheme.channel_of("p/v1/lab1/kit1/other") is None
    assert scheme.channel_of("elsewhere/lab1/kit1/telemetry") is None
    assert scheme.channel_filter(Channel.STATUS) == "p/v1/+/+/status"


def test_a_rejection_keeps_the_start_of_the_payload_and_what_was_dropped() -> None:
    payload = b"x" * (REJECTED_PAYLOAD_KEEP + 10)
    body = rejection_payload(
        "dropped readings", "p/l/k/telemetry", 12.5, payload, (Dropped("hr", "too high"),), 7
    )
    assert base64.b64decode(body["payload_b64"]) == payload[:REJECTED_PAYLOAD_KEEP]
    assert body["payload_truncated"] is True
    assert body["payload_bytes"] == len(payload)
    assert body["dropped"] == [{"sensor": "hr", "reason": "too high"}]
    assert body["seq"] == 7
    short = rejection_payload("duplicate", "p/l/k/telemetry", 1.0, b"{}")
    assert set(short) == {"reason", "topic", "received_at", "payload_b64"}


def test_frames_and_groups() -> None:
    assert status_frame("l", "k", True, 3.0) == {
        "type": "status",
        "lab": "l",
        "kit": "k",
        "online": True,
        "ts": 3.0,
    }
    assert {"twin.delta", "status", "scan"} == STATE_FRAME_TYPES
    assert lab_group("l1") == "lab:l1"
    assert session_group("s1") == "session:s1"


def test_etco2_is_judged_and_shown_by_its_one_line_in_the_table() -> None:
    from gateway.telemetry import Telemetry, parse_telemetry

    body = json.dumps({"ts": 1_764_060_000.0, "seq": 1, "readings": {"etco2": 38, "hr": 70}})
    kept = parse_telemetry(body.encode(), 1_764_060_000.5)
    assert isinstance(kept, Telemetry)
    etco2 = {r.sensor: r for r in kept.readings}["etco2"]
    assert (etco2.value, etco2.unit) == (38.0, "mmHg")
    body = json.dumps({"ts": 1_764_060_000.0, "seq": 2, "readings": {"etco2": 120, "hr": 70}})
    dropped = parse_telemetry(body.encode(), 1_764_060_000.5)
    assert isinstance(dropped, Telemetry)
    assert [(d.sensor, d.reason) for d in dropped.dropped] == [
        ("etco2", "etco2=120 outside physical range 0..100 mmHg")
    ]
    shown = {e["name"]: e for e in vocabulary_document()["reported"]}["etco2"]
    assert (shown["label"], shown["unit"], shown["shown"]) == ("End-tidal CO2", "mmHg", True)


def test_a_derived_series_may_be_kept_off_the_dashboard() -> None:
    from accesstwin_contract.quantities import _derived

    hidden = _derived("cpr_compression_depth_mm", "mm", "Compression depth", shown=False)
    assert (hidden.kind, hidden.unit, hidden.shown) == ("derived", "mm", False)
