"""The websocket frames the service sends (``/ws/labs/{lab}``, ``/ws/sessions/{id}``).

Typed shapes only (``TypedDict``): the modules that build frames annotate what they build
with these, and the hub sends any of them (``Frame``). docs/vocabulary.md lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

JsonObject: TypeAlias = dict[str, Any]

SNAPSHOT = "snapshot"
TWIN_DELTA = "twin.delta"
STATUS = "status"
FEEDBACK = "feedback"
COMPRESSION = "compression"
COMPRESSION_RELEASE = "compression.release"
SCAN = "scan"
BATCH = "batch"
# Frames that carry a twin's (or a session's) full current state: a newer one replaces
# an older one of the same twin for a client that has not had it yet.
STATE_FRAME_TYPES = frozenset({TWIN_DELTA, STATUS, SCAN})


class ValueDoc(TypedDict):
    """One reported or derived value of a twin."""

    value: float
    unit: str
    ts: float  # device time
    received_at: float  # service time
    stale: NotRequired[bool]  # in documents and snapshots, not in deltas
    quality: NotRequired[float]  # derived values with a quality (ppg_quality, hr_ppg)


class TwinDocument(TypedDict):
    """A whole twin, as ``GET /api/v1/twins/{lab}/{kit}`` and the snapshot give it."""

    lab: str
    kit: str
    version: int
    online: bool
    updated_at: float
    reported: dict[str, ValueDoc]
    derived: dict[str, ValueDoc]
    desired: JsonObject
    desired_version: int
    delta: JsonObject


class SnapshotFrame(TypedDict):
    type: Literal["snapshot"]
    twins: list[TwinDocument]


class TwinDeltaFrame(TypedDict):
    """What one update changed (``full``: every value, for a client that fell behind)."""

    type: Literal["twin.delta"]
    lab: str
    kit: str
    version: int
    reported: dict[str, ValueDoc]
    derived: dict[str, ValueDoc]
    online: bool
    desired: NotRequired[JsonObject]
    desired_version: NotRequired[int]
    full: NotRequired[bool]


class StatusFrame(TypedDict):
    type: Literal["status"]
    lab: str
    kit: str
    online: bool
    ts: float  # service time the status arrived


class SpeechDoc(TypedDict):
    text: str
    audio_url: str | None
    rate_wpm: int
    enabled: bool


class ChoiceDoc(TypedDict):
    id: str
    label: str
    audio_url: NotRequired[str]  # auditory scanning: the clip said when it is highlighted


class FeedbackFrame(TypedDict):
    """One piece of feedback rendered for one learner. The session manager adds
    ``session_id``; the lab's copy also ``lab``, ``kit`` and ``learner_id``."""

    type: Literal["feedback"]
    id: str
    topic: str
    severity: Literal["info", "warning", "critical"]
    text: str
    speech: SpeechDoc
    visual: Mapping[str, object]
    choices: list[ChoiceDoc]
    scan: dict[str, object]
    ts: float
    target: NotRequired[str]  # switch practice: the choice id asked for
    lang: NotRequired[str]  # BCP 47 language of text, speech and labels (en, ar, zh)
    session_id: NotRequired[str]
    lab: NotRequired[str]
    kit: NotRequired[str]
    learner_id: NotRequired[str]
    step: NotRequired[str | None]  # the scenario step it belongs to (session copies)
    finished: NotRequired[bool]  # whether the session is over (a step without choices is not)


class TwinFrame(TypedDict):
    """A session page's view of its kit, first on every (re)connect (docs/learner-page.md):
    the twin (None before the kit has reported), the monitor's spec, the stale time and
    the vitals' recent history (``[ts, mean]`` points); then the kit's ``twin.delta`` frames."""

    type: Literal["twin"]
    lab: str
    kit: str
    twin: TwinDocument | None
    stale_after_s: float
    monitor: JsonObject
    history: dict[str, list[list[float]]]
    history_bucket_s: float


class SpeechFrame(TypedDict):
    """Words spoken to a session's pages that are not feedback ("Read the vitals")."""

    type: Literal["speech"]
    session_id: str
    topic: str
    text: str
    speech: SpeechDoc


class InTargetDoc(TypedDict):
    depth: bool
    rate: bool | None  # null without a rate (the first compression after a pause)
    recoil: bool


class CompressionFrame(TypedDict):
    """One completed compression, on the lab and on the sessions of its kit
    (docs/cpr-scoring.md)."""

    type: Literal["compression"]
    lab: str
    kit: str
    ts: float  # device time of its deepest point
    depth_mm: float
    recoil_mm: float
    interval_s: float | None
    rate_per_min: float | None
    in_target: InTargetDoc


class ReleaseInTargetDoc(TypedDict):
    depth: bool
    rate: bool | None  # null without a rate (the first compression after a pause)


class CompressionReleaseFrame(TypedDict):
    """One compression at its release (a fall of 5 mm below its deepest point), before its
    recoil is known: its depth, interval and rate, the same as in its ``compression``
    frame, which follows with the same ``ts`` (docs/interface.md "Compressions")."""

    type: Literal["compression.release"]
    lab: str
    kit: str
    ts: float  # device time of its deepest point: the key of its later `compression` frame
    depth_mm: float
    interval_s: float | None
    rate_per_min: float | None
    in_target: ReleaseInTargetDoc


class BatchFrame(TypedDict):
    """Frames waiting for a client that asked for batches, in order (built from their
    serialised texts by ``twin_service.live.hub.batch_text``)."""

    type: Literal["batch"]
    frames: list[Mapping[str, object]]


def status_frame(lab: str, kit: str, online: bool, ts: float) -> StatusFrame:
    return {"type": "status", "lab": lab, "kit": kit, "online": online, "ts": ts}


def snapshot_frame(twins: list[TwinDocument]) -> SnapshotFrame:
    return {"type": "snapshot", "twins": twins}


# Any frame the hub fans out; frames without a TypedDict here (``scan``, ``session``,
# ``error``) are plain mappings with a ``type``.
Frame: TypeAlias = Mapping[str, object]
