"""Property-based fuzzing of everything that reads outside input: no exception escapes,
every input is accepted or refused with a reason."""

from __future__ import annotations

import asyncio
import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.ingest import (
    DesiredReceived,
    Ignored,
    Ingest,
    InputReceived,
    Refused,
    StatusReceived,
    TelemetryReceived,
)
from gateway.topics import Channel, KitTopic, TopicScheme
from twin_service.api.ws import judge_client_frame

NOW = time.time()
SCHEME = TopicScheme("p")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
segments = st.sampled_from(
    ["lab", "kit", "l_1", "k-2", "", "x y", "$", "ü", "a" * 65, "+", "_rejected", "_twin", "_x"]
)
channels = st.sampled_from(["telemetry", "input", "status", "desired", "other", ""])
topics = st.builds(lambda a, b, c: f"p/{a}/{b}/{c}", segments, segments, channels) | st.text(
    max_size=40
)


def telemetry_like() -> st.SearchStrategy[dict[str, object]]:
    number = st.integers(-(10**6), 10**6) | st.floats(allow_nan=True, allow_infinity=True)
    return st.fixed_dictionaries(
        {},
        optional={
            "ts": number | st.just(NOW) | st.text(max_size=5),
            "seq": st.integers(-5, 2**64) | st.floats() | st.booleans(),
            "readings": st.dictionaries(st.text(max_size=8), json_values | number, max_size=6),
            "waveforms": st.dictionaries(
                st.text(max_size=8),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "rate_hz": number | json_values,
                        "samples": st.lists(number | json_values, max_size=20) | json_values,
                    },
                )
                | json_values,
                max_size=3,
            ),
            "switch": st.sampled_from(["select", "next", "x"]) | json_values,
            "state": st.sampled_from(["down", "up", "x"]) | json_values,
            "version": st.integers(-2, 5) | json_values,
            "desired": json_values,
        },
    )


def encode(document: object) -> bytes:
    return json.dumps(document, allow_nan=True).encode()


OUTCOMES = (TelemetryReceived, InputReceived, StatusReceived, DesiredReceived, Refused, Ignored)


@settings(max_examples=600, deadline=None)
@given(topic=topics, payload=st.binary(max_size=300))
def test_raw_bytes_on_any_topic_are_judged(topic: str, payload: bytes) -> None:
    outcome = Ingest(SCHEME).judge(topic, payload, NOW)
    assert isinstance(outcome, OUTCOMES)
    if isinstance(outcome, Refused):
        assert outcome.reason


@settings(max_examples=1_500, deadline=None)
@given(topic=topics, document=telemetry_like() | json_values)
def test_json_documents_on_any_topic_are_judged(topic: str, document: object) -> None:
    outcome = Ingest(SCHEME).judge(topic, encode(document), NOW)
    assert isinstance(outcome, OUTCOMES)
    if isinstance(outcome, Refused):
        assert outcome.reason
        assert all(d.reason for d in outcome.dropped)
    if isinstance(outcome, TelemetryReceived):
        values = [r.value for r in outcome.telemetry.readings]
        values += [float(s) for w in outcome.telemetry.waveforms for s in w.samples]
        assert all(v == v and abs(v) != float("inf") for v in values)
        assert outcome.telemetry.readings or outcome.telemetry.waveforms


client_frames = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["switch", "choose", "ping", "settings", "x"]) | json_values,
        "switch": st.sampled_from(["select", "next"]) | json_values,
        "state": st.sampled_from(["down", "up"]) | json_values,
        "choice": st.text(max_size=80) | json_values,
        "ts": json_values,
        "scan_interval_ms": st.integers(-10, 20_000) | json_values,
    },
)


@settings(max_examples=1_000, deadline=None)
@given(frame=client_frames | json_values)
def test_learner_page_frames_are_accepted_or_refused_with_a_reason(frame: object) -> None:
    result = judge_client_frame(json.dumps(frame, allow_nan=True))
    if isinstance(result, str):
        assert result.strip(), "a refusal must say why"
    else:
        assert result.type in ("switch", "choose", "ping", "settings")


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=6_000))
def test_arbitrary_text_frames_never_raise(text: str) -> None:
    result = judge_client_frame(text)
    assert result is not None


# ---- the whole message path: Pipeline.handle with the in-memory store ------------------

edge_numbers = st.sampled_from(
    [10**400, -(10**400), 5e-324, 1e-6, 0.5, 1, 5, 8, 8.0001, 10, 25, 50, 1_000, 1_001, 2**63]
)
pipeline_numbers = edge_numbers | st.integers() | st.floats()
# Mostly well-formed messages with edge values in them, so the fuzzer gets past the
# envelope checks to the waveform, twin, derived-value and store code.
waveform_bodies = st.fixed_dictionaries(
    {
        "rate_hz": edge_numbers | pipeline_numbers,
        "samples": st.integers(1, 600).map(lambda n: [500.0 + (i % 25) * 10 for i in range(n)])
        | st.lists(pipeline_numbers, min_size=1, max_size=30),
    }
)
pipeline_telemetry = st.fixed_dictionaries(
    {
        "ts": st.sampled_from([NOW, NOW - 0.5, NOW - 3_600, NOW + 299, NOW + 301]),
        "seq": st.integers(0, 4),
    },
    optional={
        "readings": st.dictionaries(
            st.sampled_from(["hr", "spo2", "temp_c", "depth_mm", "x"]),
            pipeline_numbers | json_values,
            max_size=4,
        ),
        "waveforms": st.dictionaries(
            st.sampled_from(["ppg", "depth_mm", "accel_z", "wave"]),
            waveform_bodies | json_values,
            max_size=3,
        ),
    },
)
pipeline_topics = (
    st.sampled_from(
        [
            "p/lab/kit/telemetry",
            "p/lab/kit2/telemetry",
            "p/lab/kit/input",
            "p/lab/kit/status",
            "p/lab/kit/desired",
            "p/_rejected/lab/telemetry",
            "p/_twin/lab/telemetry",
            "p/_other/kit/telemetry",
            "p/lab/kit/other",
        ]
    )
    | topics
)
pipeline_payloads = (
    pipeline_telemetry.map(encode)
    | telemetry_like().map(encode)
    | st.sampled_from([b"online", b"offline", b"", b"\xff"])
    | st.binary(max_size=60)
)


@settings(max_examples=400, deadline=None)
@given(messages=st.lists(st.tuples(pipeline_topics, pipeline_payloads), min_size=1, max_size=8))
def test_pipeline_handles_anything_and_accounts_for_every_message(
    messages: list[tuple[str, bytes]],
) -> None:
    from tests.unit.pipeline_rig import PipelineRig

    rig = PipelineRig()
    mids = []
    for index, (topic, payload) in enumerate(messages):
        mids.append(rig.handle(topic, payload, NOW + index * 1e-3))  # never raises
    rig.flush()
    assert sorted(rig.acked) == mids, "every message is acknowledged exactly once"
    whole = [r for r in rig.rejections() if r["reason"] != "dropped readings"]
    assert all(r["reason"].strip() for r in rig.rejections())
    assert all(d["reason"].strip() for r in rig.rejections() for d in r.get("dropped", []))
    assert not [r for r in whole if r["reason"].startswith("internal error")]
    # Every whole-message refusal is counted, and no message is refused twice.
    assert rig.rejected_total() == len(whole)
    assert len({r["received_at"] for r in whole}) == len(whole)
    # A telemetry message not refused was stored (under its seq, once its kit had it).
    refused_at = {r["received_at"] for r in whole}
    stored = asyncio.run(rig.store.recent_seqs(100))
    for index, (topic, payload) in enumerate(messages):
        parsed = SCHEME.parse(topic)
        if NOW + index * 1e-3 in refused_at or not isinstance(parsed, KitTopic):
            continue
        if parsed.channel is Channel.TELEMETRY:
            assert json.loads(payload)["seq"] in stored[parsed.kit]
    for twin in rig.pipeline.twins:
        document = twin.to_json(NOW, 10.0)
        json.dumps(document, allow_nan=False)  # no inf or NaN reaches the API
        for entry in document["reported"].values():
            assert entry["ts"] <= entry["received_at"] + 300
