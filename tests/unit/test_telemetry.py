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


@pytest.mark.parametrize(
    ("sensor", "rate_hz", "kept"),
    [
        ("ppg", 5, False),  # passes "> 0" but holds no 0.5-4 Hz pulse band
        ("ppg", 8, False),
        ("ppg", 25, True),  # the MAX30102's rates on the kit: 25-100 Hz
        ("ppg", 100, True),
        ("depth_mm", 50, True),
        ("depth_mm", 2, False),
        ("ppg", 1_001, False),
        ("custom_wave", 1, True),
        ("custom_wave", 0.5, False),
        ("custom_wave", 1e-6, False),
        ("custom_wave", 5e-324, False),
    ],
)
def test_waveform_rate_must_be_sane_for_its_sensor(sensor: str, rate_hz: float, kept: bool) -> None:
    raw = payload(waveforms={sensor: {"rate_hz": rate_hz, "samples": [100.0, 101.0]}})
    outcome = parse_telemetry(raw, NOW)
    assert isinstance(outcome, Telemetry)
    assert [w.sensor for w in outcome.waveforms] == ([sensor] if kept else [])
    if not kept:
        ((dropped_sensor, reason),) = [(d.sensor, d.reason) for d in outcome.dropped]
        assert dropped_sensor == sensor and f"rate_hz={rate_hz:g} outside" in reason


def test_ppg_rate_floor_is_above_what_heart_rate_needs() -> None:
    from accessibility.signals.ppg import BAND_HZ
    from gateway.sensors import SENSORS

    assert SENSORS["ppg"].rate_hz[0] > 2 * BAND_HZ[1]


def test_waveform_whose_last_sample_is_in_the_future_is_dropped_alone() -> None:
    # 1 Hz is a valid rate, but 1,000 samples starting now end 999 s ahead of the clock.
    raw = payload(
        ts=NOW,
        waveforms={
            "slow": {"rate_hz": 1, "samples": [1.0] * 1_000},
            "ppg": {"rate_hz": 50, "samples": [1.0] * 1_000},  # ends 20 s ahead: allowed
        },
    )
    outcome = parse_telemetry(raw, NOW)
    assert isinstance(outcome, Telemetry)
    assert [w.sensor for w in outcome.waveforms] == ["ppg"]
    ((sensor, reason),) = [(d.sensor, d.reason) for d in outcome.dropped]
    assert sensor == "slow" and "999 s ahead of the service clock" in reason
    # An old chunk may be long: only the end's distance from the clock matters.
    old = payload(ts=NOW - 5_000, waveforms={"slow": {"rate_hz": 1, "samples": [1.0] * 1_000}})
    assert [w.sensor for w in parse_telemetry(old, NOW).waveforms] == ["slow"]  # type: ignore[union-attr]


def test_integers_too_large_for_a_float_are_dropped_not_raised() -> None:
    huge = 10**400
    raw = payload(
        readings={"hr": huge, "spo2": 97},
        waveforms={
            "ppg": {"rate_hz": huge, "samples": [1.0]},
            "depth_mm": {"rate_hz": 50, "samples": [1.0, -huge]},
        },
    )
    outcome = parse_telemetry(raw, NOW)
    assert isinstance(outcome, Telemetry)
    assert [r.sensor for r in outcome.readings] == ["spo2"]
    reasons = {d.sensor: d.reason for d in outcome.dropped}
    assert reasons["hr"] == "value must be finite"
    assert "rate_hz=inf outside" in reasons["ppg"]
    assert reasons["depth_mm"] == "every sample must be finite"


FAST_PATH_CASES = [
    b'{"ts":%(ts)s,"seq":3,"readings":{"hr":72,"spo2":97.5}}',
    b'{"ts":%(ts)s,"seq":0,"readings":{"hr":72},"extra":[1,2]}',
    b'{"ts":%(ts)s,"seq":9223372036854775807,"readings":{"hr":72}}',
    b'{"ts":%(ts)s,"seq":9223372036854775808,"readings":{"hr":72}}',
    b'{"ts":%(ts)s,"seq":-1,"readings":{"hr":72}}',
    b'{"ts":%(ts)s,"seq":1.0,"readings":{"hr":72}}',
    b'{"ts":%(ts)s,"seq":true,"readings":{"hr":72}}',
    b'{"ts":true,"seq":1,"readings":{"hr":72}}',
    b'{"ts":"%(ts)s","seq":1,"readings":{"hr":72}}',
    b'{"ts":1e999,"seq":1,"readings":{"hr":72}}',
    b'{"ts":NaN,"seq":1,"readings":{"hr":72}}',
    b'{"ts":%(ts)s,"seq":1,"readings":{"hr":Infinity}}',
    b'{"ts":%(ts)s,"seq":1,"readings":{"hr":1e400,"spo2":97}}',
    b'{"ts":%(ts)s,"seq":1,"readings":[72]}',
    b'{"ts":%(ts)s,"seq":1,"readings":null,"waveforms":null}',
    b'{"ts":%(ts)s,"seq":1,"readings":{"hr":72}} trailing',
    b'{"seq":1,"readings":{"hr":72}}',
    b"[1, 2]",
    b'{"ts":%(ts)s,"seq":1,"readings":{"hr":"72"}}',
    '{"ts":%(ts)s,"seq":1,"readings":{"hr":72,"t\u00e9mp":36}}'.encode(),
]


@pytest.mark.parametrize("template", FAST_PATH_CASES)
def test_msgspec_fast_path_judges_as_the_general_path(
    template: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever msgspec accepts, the general path (json + pydantic) would accept the same
    way; whatever it refuses gets the general path's worded reason."""
    import msgspec

    import gateway.telemetry as telemetry

    now = time.time()
    payload = template % {b"ts": repr(now - 5).encode()} if b"%(ts)s" in template else template
    fast = parse_telemetry(payload, now)

    class Refusing:
        def decode(self, payload: bytes) -> None:
            raise msgspec.ValidationError("general path only")

    monkeypatch.setattr(telemetry, "_FAST", Refusing())
    assert parse_telemetry(payload, now) == fast
