"""Property-based fuzzing of everything that reads outside input: no exception escapes,
every input is accepted or refused with a reason."""

from __future__ import annotations

import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.ingest import (
    DesiredReceived,
    Ingest,
    InputReceived,
    Refused,
    StatusReceived,
    TelemetryReceived,
)
from gateway.topics import TopicScheme
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
segments = st.sampled_from(["lab", "kit", "l_1", "k-2", "", "x y", "$", "ü", "a" * 65, "+"])
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


OUTCOMES = (TelemetryReceived, InputReceived, StatusReceived, DesiredReceived, Refused)


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
