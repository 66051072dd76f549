from __future__ import annotations

import json
import time

import pytest

from gateway.telemetry import (
    MAX_PAYLOAD_BYTES,
    Rejection,
    SwitchInput,
    Telemetry,
    parse_status,
    parse_switch_input,
    parse_telemetry,
)

NOW = time.time()


def payload(**fields: object) -> bytes:
    body: dict[str, object] = {"ts": NOW - 1, "seq": 1, "readings": {"hr": 72}}
    body.update(fields)
    return json.dumps(body).encode()


def rejected(raw: bytes) -> str:
    outcome = parse_telemetry(raw, NOW)
    assert isinstance(outcome, Rejection), outcome
    return outcome.reason


def test_valid_message_keeps_readings_and_waveforms_with_units() -> None:
    raw = payload(
        readings={"hr": 72, "spo2": 97.5, "temp_c": 36.8, "custom_x": -3},
        waveforms={"ppg": {"rate_hz": 50, "samples": [512.0, 518.5, 530]}},
    )
    outcome = parse_telemetry(raw, NOW)
    assert isinstance(outcome, Telemetry)
    assert {(r.sensor, r.value, r.unit) for r in outcome.readings} == {
        ("hr", 72.0, "bpm"),
        ("spo2", 97.5, "%"),
        ("temp_c", 36.8, "°C"),
        ("custom_x", -3.0, ""),
    }
    (ppg,) = outcome.waveforms
    assert ppg.rate_hz == 50 and list(ppg.samples) == [512.0, 518.5, 530]
    assert outcome.newest_ts == pytest.approx(NOW - 1 + 2 / 50)
    assert outcome.dropped == ()


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[1, 2]", "JSON object, not an array"),
        (b'"text"', "JSON object, not a string"),
        (b"null", "JSON object, not null"),
        (b'{"ts": NaN, "seq": 1, "readings": {"hr": 1}}', "NaN is not valid JSON"),
        (b'{"ts": 1, "seq": 1, "readings": {"hr": Infinity}}', "Infinity is not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "not JSON"),
        (b'{"seq": 1, "readings": {"hr": 1}}', "ts: Field required"),
        (b'{"ts": "now", "seq": 1, "readings": {"hr": 1}}', "ts: Input should be a valid number"),
        (b'{"ts": true, "seq": 1, "readings": {"hr": 1}}', "ts: Input should be a valid number"),
        (
            b'{"ts": 1764060000, "seq": 1.5, "readings": {"hr": 1}}',
            "seq: Input should be a valid integer",
        ),
        (b'{"ts": 1764060000, "seq": -1, "readings": {"hr": 1}}', "seq: Input should be greater"),
        (b'{"ts": 1764060000, "seq": 1}', "neither readings nor waveforms"),
        (
            b'{"ts": 1764060000, "seq": 1, "readings": [1]}',
            "readings: Input should be a valid dictionary",
        ),
        (b'{"ts": 10, "seq": 1, "readings": {"hr": 1}}', "before 2020"),
    ],
)
def test_whole_message_rejections_say_why(raw: bytes, reason_part: str) -> None:
    assert reason_part in rejected(raw)


def test_oversize_payload_is_rejected_before_parsing() -> None:
    raw = payload(pad="x" * MAX_PAYLOAD_BYTES)
    assert f"exceeds {MAX_PAYLOAD_BYTES} bytes" in rejected(raw)


def test_timestamp_far_in_the_future_is_rejected() -> None:
    assert "ahead of the service clock" in rejected(payload(ts=NOW + 3600))


def test_huge_number_literal_is_not_finite() -> None:
    raw = b'{"ts": %f, "seq": 1, "readings": {"hr": 1e400, "spo2": 97}}' % (NOW - 1)
    outcome = parse_telemetry(raw, NOW)
    assert isinstance(outcome, Telemetry)
    assert [(d.sensor, d.reason) for d in outcome.dropped] == [("hr", "value must be finite")]


def test_bad_readings_are_dropped_alone_with_reasons() -> None:
    raw = payload(
        readings={"hr": 72, "spo2": 140, "temp_c": True, "resp_rate": "12", "bad name": 1},
        waveforms={
            "ppg": {"rate_hz": 50, "samples": [1, 2, None]},
            "depth_mm": {"rate_hz": 0, "samples": [1]},
            "force_n": {"rate_hz": 50, "samples": []},
            "accel_z": {"rate_hz": 50, "samples": [1.0, 9.8]},
        },
    )
    outcome = parse_telemetry(raw, NOW)
    assert isinstance(outcome, Telemetry)
    assert [r.sensor for r in outcome.readings] == ["hr"]
    assert [w.sensor for w in outcome.waveforms] == ["accel_z"]
    reasons = {d.sensor: d.reason for d in outcome.dropped}
    assert "outside physical range 0..100 %" in reasons["spo2"]
    assert reasons["temp_c"] == "value must be a number, not a boolean"
    assert reasons["resp_rate"] == "value must be a number, not a string"
    assert "sensor name must match" in reasons["bad name"]
    assert reasons["ppg"] == "every sample must be a number"
    assert "rate_hz" in reasons["depth_mm"]
    assert reasons["force_n"] == "samples must be a non-empty array"


def test_message_left_with_nothing_valid_is_rejected_with_each_reason() -> None:
    outcome = parse_telemetry(payload(readings={"hr": -5, "spo2": "x"}), NOW)
    assert isinstance(outcome, Rejection)
    assert outcome.reason == "no valid reading or waveform in message"
    assert {d.sensor for d in outcome.dropped} == {"hr", "spo2"}


def test_extra_keys_from_devices_are_tolerated() -> None:
    assert isinstance(parse_telemetry(payload(firmware="1.2.3"), NOW), Telemetry)


def test_switch_input_and_status() -> None:
    raw = json.dumps({"ts": NOW, "seq": 9, "switch": "select", "state": "down"}).encode()
    assert parse_switch_input(raw, NOW) == SwitchInput(NOW, 9, "select", "down")
    bad = json.dumps({"ts": NOW, "seq": 9, "switch": "jump", "state": "down"}).encode()
    outcome = parse_switch_input(bad, NOW)
    assert isinstance(outcome, Rejection) and "switch" in outcome.reason
    assert parse_status(b"online") is True
    assert parse_status(b"offline") is False
    assert isinstance(parse_status(b"maybe"), Rejection)
