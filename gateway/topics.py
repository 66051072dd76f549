"""The MQTT topic scheme: defined in ``accesstwin_contract.topics``."""

from __future__ import annotations

from accesstwin_contract.topics import (
    REJECTED_SEGMENT,
    SERVICE_SEGMENTS,
    TWIN_SEGMENT,
    UNKNOWN,
    Channel,
    KitTopic,
    TopicError,
    TopicScheme,
)

__all__ = [
    "REJECTED_SEGMENT",
    "SERVICE_SEGMENTS",
    "TWIN_SEGMENT",
    "UNKNOWN",
    "Channel",
    "KitTopic",
    "TopicError",
    "TopicScheme",
]
