"""The socket paho reads and writes through: one recv per burst, one send per batch."""

from __future__ import annotations

import socket

import pytest

from gateway.buffered_socket import BufferedSocket


@pytest.fixture
def pair() -> tuple[BufferedSocket, socket.socket]:
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    peer.setblocking(False)
    return BufferedSocket(ours), peer


def test_small_reads_are_served_from_one_recv_of_the_kernel(
    pair: tuple[BufferedSocket, socket.socket],
) -> None:
    buffered, peer = pair
    peer.sendall(b"\x30\x05hello\x30\x02hi")
    assert buffered.recv(1) == b"\x30"
    assert buffered.has_input
    assert buffered.recv(1) == b"\x05"
    assert buffered.recv(5) == b"hello"
    assert buffered.recv(1) + buffered.recv(1) + buffered.recv(2) == b"\x30\x02hi"
    assert not buffered.has_input
    assert buffered.reads == 1
    with pytest.raises(BlockingIOError):
        buffered.recv(1)


def test_a_read_larger_than_the_buffer_left_returns_what_is_there(
    pair: tuple[BufferedSocket, socket.socket],
) -> None:
    buffered, peer = pair
    peer.sendall(b"abcdef")
    assert buffered.recv(2) == b"ab"
    assert buffered.recv(100) == b"cdef"  # a short read, as a socket's; paho reads on


def test_the_end_of_the_stream_is_an_empty_read(
    pair: tuple[BufferedSocket, socket.socket],
) -> None:
    buffered, peer = pair
    peer.sendall(b"x")
    peer.close()
    assert buffered.recv(1) == b"x"
    assert buffered.recv(1) == b""


def test_writes_wait_for_flush_and_leave_in_one_send(
    pair: tuple[BufferedSocket, socket.socket],
) -> None:
    buffered, peer = pair
    for mid in range(300):
        assert buffered.send(b"\x40\x02" + mid.to_bytes(2, "big")) == 4
    assert buffered.has_output
    with pytest.raises(BlockingIOError):
        peer.recv(10)  # nothing was written yet
    assert buffered.flush()
    assert buffered.writes == 1 and not buffered.has_output
    received = b""
    while len(received) < 1_200:
        received += peer.recv(4_096)
    assert received[:8] == b"\x40\x02\x00\x00\x40\x02\x00\x01"


def test_what_the_kernel_does_not_take_stays_for_the_next_flush(
    pair: tuple[BufferedSocket, socket.socket],
) -> None:
    buffered, peer = pair
    big = b"x" * 2_000_000  # more than a socket pair's buffers hold
    buffered.send(big)
    assert not buffered.flush()
    assert buffered.has_output
    received = 0
    while received < len(big):
        try:
            received += len(peer.recv(1 << 20))
        except BlockingIOError:
            buffered.flush()
    assert received == len(big) and not buffered.has_output


def test_a_failed_write_is_raised_by_the_next_read(
    pair: tuple[BufferedSocket, socket.socket],
) -> None:
    buffered, peer = pair
    peer.close()
    buffered.send(b"\x40\x02\x00\x01")
    assert buffered.flush()  # nothing left to write: the error waits for paho's read
    with pytest.raises(BrokenPipeError):
        buffered.recv(1)


def test_close_writes_what_is_buffered_first(
    pair: tuple[BufferedSocket, socket.socket],
) -> None:
    buffered, peer = pair
    buffered.send(b"\xe0\x00")  # DISCONNECT
    buffered.close()
    assert peer.recv(10) == b"\xe0\x00"
