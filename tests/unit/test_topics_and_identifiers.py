from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest

from gateway.identifiers import InvalidIdentifierError, KitRef
from gateway.topics import Channel, KitTopic, TopicError, TopicScheme

SCHEME = TopicScheme("accesstwin/v1")


def test_kit_topic_round_trips() -> None:
    kit = KitRef("lab-A", "kit_1")
    topic = SCHEME.kit_topic(kit, Channel.TELEMETRY)
    assert topic == "accesstwin/v1/lab-A/kit_1/telemetry"
    assert SCHEME.parse(topic) == KitTopic(kit, Channel.TELEMETRY)


@pytest.mark.parametrize(
    ("topic", "reason_part", "lab", "kit"),
    [
        ("other/v1/a/k/telemetry", "outside prefix", "_unknown", "_unknown"),
        ("accesstwin/v1/a/k", "{prefix}/{lab}/{kit}/{channel}", "_unknown", "_unknown"),
        ("accesstwin/v1/a/k/x/telemetry", "{prefix}/{lab}/{kit}/{channel}", "_unknown", "_unknown"),
        ("accesstwin/v1/l ab/k/telemetry", "lab identifier", "_unknown", "k"),
        ("accesstwin/v1/a/k.1/telemetry", "kit identifier", "a", "_unknown"),
        ("accesstwin/v1/a/" + "k" * 65 + "/telemetry", "kit identifier", "a", "_unknown"),
        ("accesstwin/v1/a/k/firmware", "unknown channel", "a", "k"),
        ("accesstwin/v1/_unknown/k/telemetry", "reserved", "_unknown", "k"),
        ("accesstwin/v1/_lab/k/status", "reserved", "_unknown", "k"),
    ],
)
def test_bad_topics_are_explained(topic: str, reason_part: str, lab: str, kit: str) -> None:
    parsed = SCHEME.parse(topic)
    assert isinstance(parsed, TopicError)
    assert reason_part in parsed.reason
    assert (parsed.lab, parsed.kit) == (lab, kit)


@pytest.mark.parametrize("bad", ["", "a/b", "../etc", "x" * 65, "ünï", "a b", "a+b", "#"])
def test_identifiers_outside_the_pattern_are_refused(bad: str) -> None:
    with pytest.raises(InvalidIdentifierError, match=r"\[A-Za-z0-9_-\]\{1,64\}"):
        KitRef(bad, "kit")


def test_rejected_topic_never_carries_a_bad_identifier() -> None:
    assert SCHEME.rejected_topic("a/../b", "k") == "accesstwin/v1/_rejected/_unknown/k"


@pytest.mark.parametrize("prefix", ["", "/x", "x/", "a/+/b", "a/#"])
def test_bad_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        TopicScheme(prefix)


@pytest.mark.parametrize(
    "topic",
    [
        # A kit named like a channel puts the service's own topics under the kit filters.
        "accesstwin/v1/_rejected/lab/telemetry",
        "accesstwin/v1/_rejected/_unknown/status",
        "accesstwin/v1/_twin/lab/desired",
        "accesstwin/v1/_twin/lab/kit",
    ],
)
def test_the_services_own_topics_are_ignored_not_refused(topic: str) -> None:
    parsed = SCHEME.parse(topic)
    assert isinstance(parsed, TopicError) and parsed.ignore


def test_underscores_are_allowed_except_at_the_start_of_a_lab() -> None:
    parsed = SCHEME.parse("accesstwin/v1/lab_1/_kit_/telemetry")
    assert parsed == KitTopic(KitRef("lab_1", "_kit_"), Channel.TELEMETRY)
    assert SCHEME.rejected_topic("_rejected", "k") == "accesstwin/v1/_rejected/_unknown/k"
    assert SCHEME.twin_topic(KitRef("a", "k")) == "accesstwin/v1/_twin/a/k"


def test_kit_client_ids_and_file_names_cannot_collide_when_ids_contain_dashes() -> None:
    from gateway.identifiers import KitRef

    a, b = KitRef("a-b", "c"), KitRef("a", "b-c")
    assert a.client_id != b.client_id
    assert a.file_stem != b.file_stem
    assert a.client_id == "a-b/c"  # also the kit's broker username


def test_a_kit_ref_keeps_its_hash_and_is_rebuilt_when_unpickled() -> None:
    """KitRef keeps its hash (the ingest path looks a kit up in some nine dicts); a pickled
    one must not carry it into a process whose string hashes differ (PYTHONHASHSEED)."""
    kit = KitRef("ward1", "kit-02")
    assert hash(kit) == hash(KitRef("ward1", "kit-02")) == hash(("ward1", "kit-02"))
    assert {kit: 1}[KitRef("ward1", "kit-02")] == 1
    assert sorted([KitRef("b", "a"), KitRef("a", "b")])[0] == KitRef("a", "b")
    pickled = pickle.dumps(kit)
    script = (
        "import pickle, sys\n"
        "from accesstwin_contract.identifiers import KitRef\n"
        "kit = pickle.loads(sys.stdin.buffer.read())\n"
        "here = KitRef('ward1', 'kit-02')\n"
        "print({here: 'found'}.get(kit, 'missing'), kit == here)\n"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", script],
            input=pickled,
            capture_output=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert out.stdout.decode().split() == ["found", "True"], out.stderr.decode()
    with pytest.raises(InvalidIdentifierError):
        KitRef("ward 1", "kit")
