from __future__ import annotations

import json
import time

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


def test_a_flooding_kit_is_refused_before_parsing_and_others_are_not() -> None:
    from gateway.ratelimit import KitRateLimiter

    ingest = Ingest(TopicScheme("p"), limiter=KitRateLimiter(rate_per_s=10, burst=20))
    outcomes = [ingest.judge("p/lab/noisy/telemetry", b"not even json", NOW) for _ in range(100)]
    limited = [o for o in outcomes if isinstance(o, Refused) and o.stage == "limit"]
    assert len(limited) == 80  # the burst of 20 got through to parsing (and failed there)
    assert "10 messages/s" in limited[0].reason
    assert isinstance(ingest.judge("p/lab/quiet/telemetry", telemetry(1), NOW), TelemetryReceived)
    # Tokens come back with time: one second later, ten more pass.
    later = [ingest.judge("p/lab/noisy/telemetry", telemetry(100 + i), NOW + 1) for i in range(12)]
    assert sum(isinstance(o, TelemetryReceived) for o in later) == 10


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
