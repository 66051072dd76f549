"""A socket for paho that reads a burst with one ``recv`` and writes a batch with one ``send``.

paho reads each packet with three ``recv`` calls (its first byte, its length, its
body) and writes each packet with its own ``send``: for small QoS 1 messages, three
system calls in and one out per message. Under paho this object stands in for the
connected TCP socket (``gateway.mqtt_client`` puts it there): ``recv(n)`` hands out
``n`` bytes of what one large ``recv`` of the real socket returned, and ``send`` only
appends to an output buffer that ``flush`` writes at once, after paho has written
every packet it had queued (all the PUBACKs of a commit).

``send`` always claims to have written everything, so bytes that the kernel did not
take yet stay here: the owner keeps the socket registered for writing while
``has_output`` and calls ``flush`` again. A failed ``flush`` (the peer went away) is
kept and raised by the next ``recv``, which is how paho learns that the connection
is lost. ``close`` writes what it can first (paho's DISCONNECT), without waiting.
"""

from __future__ import annotations

import logging
import socket

from gateway.mqtt_publish import Publish, read_publish

log = logging.getLogger(__name__)

READ_SIZE = 65_536  # bytes asked of the kernel per real recv


class BufferedSocket:
    """A non-blocking TCP socket with an input and an output buffer (see the module)."""

    def __init__(self, sock: socket.socket, read_size: int = READ_SIZE) -> None:
        self._sock = sock
        self._read_size = read_size
        self._input = b""
        self._pos = 0
        self._output = bytearray()
        self._error: OSError | None = None
        self._eof = False
        self.reads = 0  # real recv calls (for tests and profiles)
        self.writes = 0  # real send calls

    # ---- what paho calls ---------------------------------------------------------------

    def recv(self, bufsize: int) -> bytes:
        if self._pos >= len(self._input):
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._eof:
                return b""
            self.reads += 1
            data = self._sock.recv(max(bufsize, self._read_size))  # BlockingIOError: none
            if len(data) <= bufsize:
                return data
            self._input, self._pos = data, 0
        start = self._pos
        self._pos = start + bufsize
        return self._input[start : self._pos]

    def send(self, data: bytes | bytearray | memoryview) -> int:
        self._output += data
        return len(data)

    def fileno(self) -> int:
        return self._sock.fileno()

    def setblocking(self, flag: bool) -> None:
        self._sock.setblocking(flag)

    def close(self) -> None:
        self.flush()
        self._sock.close()

    # ---- what the owner calls ----------------------------------------------------------

    @property
    def has_input(self) -> bool:
        """Bytes read from the kernel that paho has not taken yet (the socket will not
        become readable for them: the owner must let paho read again)."""
        return self._pos < len(self._input)

    def fill(self) -> bool:
        """Read from the kernel if nothing is buffered; whether bytes are buffered now.

        The end of the stream, or an error, is kept for paho's next ``recv``."""
        if self._pos < len(self._input):
            return True
        if self._error is not None or self._eof:
            return False
        try:
            self.reads += 1
            data = self._sock.recv(self._read_size)
        except BlockingIOError:
            return False
        except OSError as exc:
            self._error = exc
            return False
        if not data:
            self._eof = True
            return False
        self._input, self._pos = data, 0
        return True

    @property
    def ended(self) -> bool:
        """The stream ended or failed; paho learns it at its next ``recv``."""
        return self._eof or self._error is not None

    def take_publish(self) -> Publish | None:
        """The buffered PUBLISH packet (QoS 0 or 1) at the read position, taken out of
        the buffer; None (nothing taken) if the next packet is another kind or not all
        of it is buffered: paho reads that one."""
        found = read_publish(self._input, self._pos)
        if found is None:
            return None
        publish, self._pos = found
        return publish

    @property
    def has_output(self) -> bool:
        return bool(self._output)

    def flush(self) -> bool:
        """Write as much of the output as the kernel takes; True when none is left."""
        while self._output:
            try:
                self.writes += 1
                sent = self._sock.send(self._output)
            except BlockingIOError:
                return False
            except OSError as exc:
                log.debug("MQTT socket write failed: %s", exc)
                self._error = exc
                self._output.clear()
                return True
            del self._output[:sent]
        return True
