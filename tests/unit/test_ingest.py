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
