from __future__ import annotations

import json
import time

import pytest

from gateway.identifiers import KitRef
from gateway.ingest import DesiredReceived, Ingest, Refused, StatusReceived, TelemetryReceived
from gateway.topics import TopicScheme

NOW = time.time()
KIT = KitRef("lab", "kit")


def telemetry(seq: int) -> bytes:
    return json.dumps({"ts": NOW - 1, "seq": seq, "readings": {"hr": 70 + seq}}).encode()


def test_a_repeated_seq_is_applied_once_per_kit() -> None:
    ingest = Ingest(TopicScheme("p"))
    assert isinstance(ingest.judge("p/lab/kit/telemetry", telemetry(1), NOW), TelemetryReceived)
    again = ingest.judge("p/lab/kit/telemetry", telemetry(1), NOW)
    assert isinstance(again, Refused) and again.stage == "duplicate" and again.seq == 1
    # The same seq from another kit is not a duplicate.
    assert isinstance(ingest.judge("p/lab/kit2/telemetry", telemetry(1), NOW), TelemetryReceived)


def test_a_rejected_message_does_not_consume_its_seq() -> None:
    ingest = Ingest(TopicScheme("p"))
    bad = json.dumps({"ts": NOW, "seq": 5, "readings": {"hr": "x"}}).encode()
    assert isinstance(ingest.judge("p/lab/kit/telemetry", bad, NOW), Refused)
    assert isinstance(ingest.judge("p/lab/kit/telemetry", telemetry(5), NOW), TelemetryReceived)


def test_status_and_desired_and_bad_topics() -> None:
    ingest = Ingest(TopicScheme("p"))
    assert ingest.judge("p/lab/kit/status", b"online", NOW) == StatusReceived(KIT, True)
    desired = json.dumps({"version": 3, "desired": {"scenario": "cpr"}}).encode()
    assert ingest.judge("p/lab/kit/desired", desired, NOW) == DesiredReceived(
        KIT, 3, {"scenario": "cpr"}
    )
    refused = ingest.judge("p/la$b/kit/telemetry", telemetry(1), NOW)
    assert isinstance(refused, Refused) and refused.stage == "topic" and refused.lab == "_unknown"


def test_a_flooding_kit_is_limited_and_others_are_not() -> None:
    from gateway.ratelimit import KitRateLimiter

    ingest = Ingest(TopicScheme("p"), limiter=KitRateLimiter(rate_per_s=10, burst=20))
    outcomes = [ingest.judge("p/lab/noisy/telemetry", telemetry(i), NOW) for i in range(100)]
    limited = [o for o in outcomes if isinstance(o, Refused) and o.stage == "limit"]
    assert len(limited) == 80  # the burst of 20 got through
    assert "10 messages/s" in limited[0].reason and limited[0].seq == 20
    assert isinstance(ingest.judge("p/lab/quiet/telemetry", telemetry(1), NOW), TelemetryReceived)
    # A limited message did not use up its seq, and tokens come back with time.
    later = [ingest.judge("p/lab/noisy/telemetry", telemetry(20 + i), NOW + 1) for i in range(12)]
    assert sum(isinstance(o, TelemetryReceived) for o in later) == 10


def old_telemetry(seq: int, ts: float) -> bytes:
    return json.dumps({"ts": ts, "seq": seq, "readings": {"hr": 70}}).encode()


def count_limited(ingest: Ingest, messages: list[tuple[bytes, float]]) -> int:
    outcomes = [ingest.judge("p/lab/kit/telemetry", raw, at) for raw, at in messages]
    assert all(isinstance(o, TelemetryReceived) or o.stage == "limit" for o in outcomes)  # type: ignore[union-attr]
    return sum(isinstance(o, Refused) for o in outcomes)


def test_old_timestamps_are_no_way_round_the_limit() -> None:
    from gateway.ratelimit import KitRateLimiter

    # Many messages with the same old ts: device time does not move, so only the burst.
    ingest = Ingest(TopicScheme("p"), limiter=KitRateLimiter())
    same_ts = [(old_telemetry(i, NOW - 3_600), NOW + i / 10_000) for i in range(5_000)]
    assert count_limited(ingest, same_ts) == 5_000 - 500
    # A clock running 60 s late looks like a backlog, but is held to the live rate:
    # a 250 messages/s flood for 20 s gets 500 (burst) + 50/s through.
    ingest = Ingest(TopicScheme("p"), limiter=KitRateLimiter())
    lagging = [(old_telemetry(i, NOW + i / 250 - 60), NOW + i / 250) for i in range(5_000)]
    assert count_limited(ingest, lagging) == pytest.approx(5_000 - 500 - 20 * 50, abs=2)
    # Walking ts forward through past device time, as dense as allowed, at full speed:
    # the allowance (here 1,000, plus 50/s) bounds it.
    ingest = Ingest(TopicScheme("p"), limiter=KitRateLimiter(backlog_burst=1_000))
    walking = [(old_telemetry(i, NOW - 86_400 + i / 50), NOW + i / 10_000) for i in range(5_000)]
    assert count_limited(ingest, walking) == pytest.approx(5_000 - 1_000 - 25, abs=2)


def test_seq_tracker_window_behaviour() -> None:
    from gateway.dedupe import SeqTracker

    seqs = SeqTracker(window=8)
    for seq in (5, 7, 6, 20):
        seqs.mark(KIT, seq)
    assert seqs.is_duplicate(KIT, 20)
    assert not seqs.is_duplicate(KIT, 19)  # inside the window, never applied
    assert not seqs.is_duplicate(KIT, 21)
    # 5, 6, 7 fell out of the 8-wide window below 20: the store judges those.
    assert not seqs.is_duplicate(KIT, 7)
    seqs.mark(KIT, 15)
    assert seqs.is_duplicate(KIT, 15)
    seqs.mark(KIT, 1_000)  # a jump wider than the window starts afresh
    assert seqs.is_duplicate(KIT, 1_000)
    assert not seqs.is_duplicate(KIT, 999)
