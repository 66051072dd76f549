"""uvicorn's websocket protocol, offering each connection a ``FrameSink`` (live.fanout).

``FanoutWebSocketProtocol`` is uvicorn's sans-I/O ``websockets`` protocol (the one
``make_server`` always used) plus one ASGI scope extension, ``accesstwin.frame_sink``:
an object that writes an already framed message straight to the connection's transport
and says whether that transport's write buffer is over its high-water mark.

permessage-deflate is negotiated only for batched lab sockets (``/ws/labs/…?batch_ms=N``
with N > 0, see ``shares_deflated_frames``), and only with ``server_no_context_takeover``:
each message the server sends is then compressed on its own, so one compressed batch is
the same bytes for every such client and ``live.fanout`` compresses it once for all. The
sink is offered to a connection with no extension, or with exactly that deflate (it then
says its window bits); with any other extension it is not, and the connection keeps the
ASGI send path. Everything else — handshake, ``?token=`` and the other checks in the
endpoints, close codes, pings — is uvicorn's, unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import parse_qsl

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.http11 import Request

from twin_service.live.fanout import FRAME_SINK_EXTENSION

# The server's LZ77 window for the shared batches (2**12 bytes: a batch's deltas repeat
# their keys within a few hundred bytes); clients' windows as uvicorn's default (memory).
SERVER_WINDOW_BITS = 12
CLIENT_WINDOW_BITS = 12
LAB_SOCKETS = "/ws/labs/"


def shares_deflated_frames(path: str) -> bool:
    """Whether a websocket request (path and query) is a batched lab socket.

    ``batch_ms`` is read as the endpoint reads it (the last one given, digits only); a
    value the endpoint refuses only means deflate is offered to a socket it then closes.
    """
    raw_path, _, query = path.partition("?")
    if not raw_path.startswith(LAB_SOCKETS):
        return False
    values = [v for k, v in parse_qsl(query, keep_blank_values=True) if k == "batch_ms"]
    return bool(values) and values[-1].isdigit() and int(values[-1]) > 0


def shared_deflate_bits(extensions: list[Extension]) -> int | None:
    """The window bits of a negotiated deflate whose every message stands alone, or None."""
    if len(extensions) != 1 or not isinstance(extensions[0], PerMessageDeflate):
        return None
    deflate = extensions[0]
    if not deflate.local_no_context_takeover:
        return None
    return int(deflate.local_max_window_bits or 15)


class TransportSink:
    """Writes framed bytes to one connection's transport (see ``live.fanout.FrameSink``)."""

    __slots__ = ("_protocol", "deflate_bits")

    def __init__(self, protocol: WebSocketsSansIOProtocol, deflate_bits: int | None) -> None:
        self._protocol = protocol
        self.deflate_bits = deflate_bits

    def write_frame(self, data: bytes) -> bool:
        protocol = self._protocol
        transport = protocol.transport
        if protocol.close_sent or protocol.disconnected or transport.is_closing():
            return False
        transport.write(data)
        return True

    def backed_up(self) -> bool:
        return not self._protocol.writable.is_set()


class FanoutWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol with a ``FrameSink`` in the scope's extensions."""

    # Negotiate shared-frame deflate on batched lab sockets (``make_server(ws_deflate=)``).
    shared_deflate: ClassVar[bool] = True

    def handle_connect(self, event: Request) -> None:
        if self.shared_deflate and shares_deflated_frames(event.path):
            self.conn.available_extensions = [
                ServerPerMessageDeflateFactory(
                    server_no_context_takeover=True,
                    server_max_window_bits=SERVER_WINDOW_BITS,
                    client_max_window_bits=CLIENT_WINDOW_BITS,
                    compress_settings={"memLevel": 5},
                )
            ]
        super().handle_connect(event)
        scope: Any = getattr(self, "scope", None)
        # The ASGI task was created but has not run yet: it sees the extension.
        if scope is None or self.close_sent:
            return
        bits = shared_deflate_bits(self.conn.extensions)
        if not self.conn.extensions or bits is not None:
            scope["extensions"][FRAME_SINK_EXTENSION] = TransportSink(self, bits)


class PlainFanoutWebSocketProtocol(FanoutWebSocketProtocol):
    """The same without deflate on any socket (``ACCESSTWIN_WS_DEFLATE=false``)."""

    shared_deflate: ClassVar[bool] = False
