"""The MQTT topic scheme ``{prefix}/{lab}/{kit}/{channel}``: the one place topics are
built and parsed (docs/vocabulary.md).

The service publishes under ``{prefix}/_rejected/{lab}/{kit}`` and
``{prefix}/_twin/{lab}/{kit}``; those match the kit filters ``{prefix}/+/+/{channel}``
when a kit is named like a channel, so messages under them are the service's own and
are ignored, not judged. Other lab names starting with ``_`` are refused
(``accesstwin_contract.identifiers.is_reserved_lab``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from accesstwin_contract.identifiers import KitRef, is_identifier, is_reserved_lab

UNKNOWN = "_unknown"
REJECTED_SEGMENT = "_rejected"
TWIN_SEGMENT = "_twin"
SERVICE_SEGMENTS = frozenset({REJECTED_SEGMENT, TWIN_SEGMENT})


class Channel(enum.StrEnum):
    """The last segment of a kit topic: what the message carries."""

    TELEMETRY = "telemetry"
    INPUT = "input"
    STATUS = "status"
    DESIRED = "desired"


@dataclass(frozen=True, slots=True)
class KitTopic:
    """A parsed kit topic."""

    kit: KitRef
    channel: Channel


@dataclass(frozen=True, slots=True)
class TopicError:
    """Why a topic could not be parsed, with whatever lab/kit could be read from it.

    ``ignore`` marks one of the service's own topics: not a kit's mistake, not refused.
    """

    reason: str
    lab: str = UNKNOWN
    kit: str = UNKNOWN
    ignore: bool = False


@dataclass(frozen=True, slots=True)
class TopicScheme:
    """Builds and parses the topics under one prefix (default ``accesstwin/v1``)."""

    prefix: str = "accesstwin/v1"

    def __post_init__(self) -> None:
        if not self.prefix or self.prefix.startswith("/") or self.prefix.endswith("/"):
            raise ValueError(f"MQTT prefix {self.prefix!r} must not be empty or start/end with '/'")
        if any(ch in self.prefix for ch in "+#\x00"):
            raise ValueError(f"MQTT prefix {self.prefix!r} must not contain '+', '#' or NUL")

    def kit_topic(self, kit: KitRef, channel: Channel) -> str:
        return f"{self.prefix}/{kit.lab}/{kit.kit}/{channel.value}"

    def twin_topic(self, kit: KitRef) -> str:
        """Where a kit's twin state is published for API replicas."""
        return f"{self.twin_prefix()}{kit.lab}/{kit.kit}"

    def twin_prefix(self) -> str:
        """What every twin-state topic starts with."""
        return f"{self.prefix}/{TWIN_SEGMENT}/"

    def twin_filter(self) -> str:
        """The subscription of an API replica to every twin's state."""
        return f"{self.twin_prefix()}+/+"

    def rejected_topic(self, lab: str, kit: str) -> str:
        lab = lab if is_identifier(lab) and not is_reserved_lab(lab) else UNKNOWN
        kit = kit if is_identifier(kit) else UNKNOWN
        return f"{self.prefix}/{REJECTED_SEGMENT}/{lab}/{kit}"

    def channel_filter(self, channel: Channel) -> str:
        """The subscription to one channel of every kit."""
        return f"{self.prefix}/+/+/{channel.value}"

    def subscriptions(self) -> list[str]:
        """Filters the gateway subscribes to (``desired`` to read back its own retained state)."""
        return [self.channel_filter(channel) for channel in Channel]

    def is_twin_topic(self, topic: str) -> bool:
        """Whether ``topic`` is under ``{prefix}/_twin/`` (a gateway's twin state)."""
        return topic.startswith(self.twin_prefix())

    def twin_kit(self, topic: str) -> KitRef:
        """The kit of a twin-state topic; ValueError when it is not one."""
        if not self.is_twin_topic(topic):
            raise ValueError(f"not a twin-state topic: {topic[:200]!r}")
        lab, _, kit = topic[len(self.twin_prefix()) :].partition("/")
        return KitRef(lab, kit)

    def channel_of(self, topic: str) -> Channel | None:
        """The channel a topic under this prefix names in its last segment, if any
        (for counting messages by channel, whether or not the rest parses)."""
        if not topic.startswith(self.prefix + "/"):
            return None
        try:
            return Channel(topic.rsplit("/", 1)[-1])
        except ValueError:
            return None

    def parse(self, topic: str) -> KitTopic | TopicError:
        """Split ``topic`` into kit and channel, or say why it is not a kit topic."""
        head = self.prefix + "/"
        if not topic.startswith(head):
            return TopicError(f"topic outside prefix {self.prefix!r}")
        parts = topic[len(head) :].split("/")
        if parts[0] in SERVICE_SEGMENTS:
            return TopicError(f"the service's own {parts[0]} topic", ignore=True)
        if len(parts) != 3:
            return TopicError("topic must be {prefix}/{lab}/{kit}/{channel}")
        lab, kit, channel_text = parts
        lab_ok, kit_ok = is_identifier(lab), is_identifier(kit)
        shown_lab, shown_kit = (lab if lab_ok else UNKNOWN), (kit if kit_ok else UNKNOWN)
        if not lab_ok:
            return TopicError("lab identifier must match [A-Za-z0-9_-]{1,64}", shown_lab, shown_kit)
        if not kit_ok:
            return TopicError("kit identifier must match [A-Za-z0-9_-]{1,64}", shown_lab, shown_kit)
        if is_reserved_lab(lab):
            return TopicError(
                "lab names starting with '_' are reserved for the service's own topics",
                UNKNOWN,
                kit,
            )
        try:
            channel = Channel(channel_text)
        except ValueError:
            return TopicError(f"unknown channel {channel_text[:32]!r}", lab, kit)
        return KitTopic(KitRef(lab, kit), channel)
