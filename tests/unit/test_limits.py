"""Bounds a kit cannot grow past (issue 17): distinct sensors per twin, readings per
message, and rejections no bigger than a bounded list with a count."""

from __future__ import annotations

import json

from accesstwin_contract.payloads import REJECTED_DROPPED_KEEP
from gateway.identifiers import KitRef
from gateway.ingest import Ingest
from gateway.telemetry import MAX_ITEMS_PER_MESSAGE, MAX_PAYLOAD_BYTES, parse_telemetry
from gateway.topics import TopicScheme
from tests.unit.pipeline_rig import PREFIX, PipelineRig

NOW = 1_800_000_000.0
TOPIC = f"{PREFIX}/ward1/flood/telemetry"


def rig(max_sensors: int = 128) -> PipelineRig:
    # No rate limiter (the default): what is judged here is the bound, not the rate.
    unlimited = Ingest(TopicScheme(PREFIX))
    return PipelineRig(unlimited, max_sensors_per_kit=max_sensors)


def counter(made: PipelineRig, name: str) -> float:
    total = 0.0
    for metric in made.metrics.registry.collect():
        for sample in metric.samples:
            if sample.name == name:
                total += sample.value
    return total


def test_a_kit_flooding_new_sensor_names_stays_within_the_bound() -> None:
    made = rig(max_sensors=128)
    for seq in range(300):
        names = {f"s{seq}_{i}": 1.0 for i in range(200)}
        made.handle(TOPIC, {"ts": NOW + seq, "seq": seq, "readings": names}, NOW + seq)
    twin = made.pipeline.twins.get(KitRef("ward1", "flood"))
    assert twin is not None
    assert len(twin.reported) == 128
    assert counter(made, "accesstwin_readings_over_limit_total") == 300 * 200 - 128
    rejections = made.rejections()
    assert len(rejections) == 300
    assert all(d["reason"] == "limit" for r in rejections for d in r["dropped"])
    assert rejections[-1]["reason"].startswith("limit:")  # nothing left: the whole message
    assert made.rejected_total("limit") == 299
    # A sensor it already has still updates.
    made.handle(TOPIC, {"ts": NOW + 400, "seq": 400, "readings": {"s0_0": 7.0}}, NOW + 400)
    assert twin.reported["s0_0"].value == 7.0


def test_another_kit_is_not_limited_by_the_flooding_one() -> None:
    made = rig(max_sensors=4)
    made.handle(TOPIC, {"ts": NOW, "seq": 1, "readings": {f"x{i}": 1 for i in range(50)}}, NOW)
    other = f"{PREFIX}/ward1/calm/telemetry"
    made.handle(other, {"ts": NOW, "seq": 1, "readings": {"hr": 70, "spo2": 98}}, NOW)
    calm = made.pipeline.twins.get(KitRef("ward1", "calm"))
    assert calm is not None and set(calm.reported) == {"hr", "spo2"}


def test_readings_past_256_in_one_message_are_dropped_with_reason_limit() -> None:
    readings = {f"r{i}": float(i) for i in range(300)}
    parsed = parse_telemetry(json.dumps({"ts": NOW, "seq": 1, "readings": readings}).encode(), NOW)
    assert not hasattr(parsed, "reason"), parsed
    assert len(parsed.readings) == MAX_ITEMS_PER_MESSAGE  # type: ignore[union-attr]
    dropped = parsed.dropped  # type: ignore[union-attr]
    assert [d.sensor for d in dropped] == [f"r{i}" for i in range(256, 300)]
    assert {d.reason for d in dropped} == {"limit"}


def test_a_rejection_lists_a_bounded_number_of_dropped_readings_and_counts_them_all() -> None:
    made = rig()
    readings: dict[str, object] = {"hr": 70}
    i = 0
    while len(json.dumps({"ts": NOW, "seq": 1, "readings": readings})) < MAX_PAYLOAD_BYTES - 64:
        readings[f"bad{i}"] = "x"
        i += 1
    payload = json.dumps({"ts": NOW, "seq": 1, "readings": readings}).encode()
    made.handle(TOPIC, payload, NOW)
    [rejection] = made.rejections()
    assert len(rejection["dropped"]) == REJECTED_DROPPED_KEEP
    assert rejection["dropped_count"] == len(readings) - 1
    assert len(json.dumps(rejection)) < 8 * 1024 < len(payload)
