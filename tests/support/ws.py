"""Websocket helpers for tests that talk to a running service."""

from __future__ import annotations

import json
import time
from typing import Any

from websockets.sync.client import ClientConnection


def next_frame(ws: ClientConnection, wanted: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next frame of type ``wanted`` (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame["type"] == wanted:
            return frame
