"""Compressions from a kit's depth waveform: frames on the lab group, history, sessions."""

from __future__ import annotations

import time
from typing import Any

import pytest

from accessibility.signals import Compression
from devices.simulation import CprLearner
from gateway.identifiers import KitRef
from tests.unit.pipeline_rig import PREFIX, PipelineRig
from twin_service.ingest.compressions import COMPRESSION_SENSOR

TOPIC = f"{PREFIX}/lab/kit/telemetry"
RATE_HZ = 50.0


def feed(rig: PipelineRig, learner: CprLearner, seconds: float, start: float) -> None:
    for i in range(round(seconds * 5)):
        ts = start + i * 0.2
        samples = [round(x, 2) for x in learner.chunk(ts, 10, RATE_HZ).tolist()]
        body = {
            "ts": ts,
            "seq": i + 1,
            "waveforms": {"depth_mm": {"rate_hz": RATE_HZ, "samples": samples}},
        }
        rig.handle(TOPIC, body, ts + 0.21)


def test_each_compression_is_a_lab_frame_a_history_point_and_a_session_input() -> None:
    rig = PipelineRig()
    frames: list[tuple[str, dict[str, Any]]] = []
    hub_publish = rig.pipeline.hub.publish

    def record(group: str, frame: dict[str, Any]) -> None:
        frames.append((group, frame))
        hub_publish(group, frame)

    rig.pipeline.hub.publish = record  # type: ignore[method-assign]
    handed: list[tuple[KitRef, list[Compression]]] = []
    rig.pipeline.on_compressions = lambda kit, done: handed.append((kit, done))
    start = time.time() - 30
    learner = CprLearner(5, rate_per_min=110, depth_mm=55, drift=False)
    feed(rig, learner, 20.0, start)
    rig.flush()
    events = [f for g, f in frames if f["type"] == "compression"]
    assert all(g == "lab:lab" for g, f in frames if f["type"] == "compression")
    truth = learner.compressions(start, start + 19.0)
    assert len(events) == pytest.approx(len(truth), abs=1)
    first, later = events[0], events[5]
    assert set(first) == {
        "type", "lab", "kit", "ts", "depth_mm", "recoil_mm", "interval_s", "rate_per_min",
        "in_target",
    }  # fmt: skip
    assert first["lab"] == "lab" and first["kit"] == "kit"
    assert first["rate_per_min"] is None and first["in_target"]["rate"] is None
    assert later["depth_mm"] == pytest.approx(55, abs=4)
    assert later["rate_per_min"] == pytest.approx(110, abs=8)
    assert set(later["in_target"]) == {"depth", "rate", "recoil"}
    assert all(isinstance(v, bool) for v in later["in_target"].values())
    stored = rig.stored("lab", "kit", COMPRESSION_SENSOR)
    assert [p[0] for p in stored] == [e["ts"] for e in events]
    assert [p[1] for p in stored] == [e["depth_mm"] for e in events]
    assert sum(len(done) for _, done in handed) == len(events)
    assert {kit for kit, _ in handed} == {KitRef("lab", "kit")}


def test_each_compression_is_first_a_release_frame_on_the_lab_and_its_sessions() -> None:
    rig = PipelineRig()
    frames: list[tuple[list[str], dict[str, Any]]] = []

    def record(groups: list[str], frame: dict[str, Any]) -> None:
        frames.append((list(groups), frame))

    def record_one(group: str, frame: dict[str, Any]) -> None:
        frames.append(([group], frame))

    rig.pipeline.hub.publish_to = record  # type: ignore[method-assign]
    rig.pipeline.hub.publish = record_one  # type: ignore[method-assign]
    rig.pipeline.kit_groups = lambda kit: [f"session:s-{kit.kit}"]
    learner = CprLearner(6, rate_per_min=110, depth_mm=55, drift=False)
    feed(rig, learner, 12.0, time.time() - 30)
    releases = [(g, f) for g, f in frames if f["type"] == "compression.release"]
    done = [f for _, f in frames if f["type"] == "compression"]
    assert len(releases) >= len(done) >= 18
    assert all(g == ["lab:lab", "session:s-kit"] for g, _ in releases)
    first = releases[0][1]
    assert set(first) == {
        "type", "lab", "kit", "ts", "depth_mm", "interval_s", "rate_per_min", "in_target",
    }  # fmt: skip
    assert first["in_target"] == {"depth": True, "rate": None}
    order = [(f["type"], f["ts"]) for _, f in frames if f["type"].startswith("compression")]
    for c in done:  # its release came before it, with the same depth, interval and rate
        at = order.index(("compression", c["ts"]))
        assert ("compression.release", c["ts"]) in order[:at]
        r = next(f for _, f in releases if f["ts"] == c["ts"])
        assert [r[k] for k in ("depth_mm", "interval_s", "rate_per_min")] == [
            c[k] for k in ("depth_mm", "interval_s", "rate_per_min")
        ]
        assert r["in_target"] == {k: c["in_target"][k] for k in ("depth", "rate")}
