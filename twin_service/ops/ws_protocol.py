"""uvicorn's websocket protocol, offering each connection a ``FrameSink`` (live.fanout).

``FanoutWebSocketProtocol`` is uvicorn's sans-I/O ``websockets`` protocol (the one
``make_server`` always used) plus one ASGI scope extension, ``accesstwin.frame_sink``:
an object that writes an already framed message straight to the connection's transport
and says whether that transport's write buffer is over its high-water mark. It is
offered only when no extension (permessage-deflate) was negotiated, because only then is
one frame the same bytes for every client. Everything else — handshake, ``?token=`` and
the other checks in the endpoints, close codes, pings — is uvicorn's, unchanged.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request

from twin_service.live.fanout import FRAME_SINK_EXTENSION


class TransportSink:
    """Writes framed bytes to one connection's transport (see ``live.fanout.FrameSink``)."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

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

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope: Any = getattr(self, "scope", None)
        # The ASGI task was created but has not run yet: it sees the extension.
        if scope is not None and not self.close_sent and not self.conn.extensions:
            scope["extensions"][FRAME_SINK_EXTENSION] = TransportSink(self)
