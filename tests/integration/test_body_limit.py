"""Big request bodies against the real service process (issue 17, must show 2): a request
without a token is refused before its body is read, a body over 1 MiB gets 413 before it
is read whole, and the service's resident memory does not grow with what was sent."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.service import ServiceProcess

BIG = 64 * 1024 * 1024
CHUNK = 1024 * 1024
MAX_RSS_GROWTH = 16 * 1024 * 1024


def rss_bytes(service: ServiceProcess) -> int:
    assert service.process is not None
    for line in Path(f"/proc/{service.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def send_big_put(
    service: ServiceProcess, headers: dict[str, str], declared: bool
) -> tuple[int, float]:
    """PUT a 64 MiB body over a raw socket; the status and the seconds until it came.

    The body is sent by a thread while the answer is awaited, so what is timed is when the
    service answered, not how long the client took to send 64 MiB; the whole body is
    still sent (or the service closed the connection) before the function returns.
    """
    lines = [f"PUT {DESIRED} HTTP/1.1", f"Host: 127.0.0.1:{service.port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {BIG}" if declared else "Transfer-Encoding: chunked")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    chunk = b"a" * CHUNK
    framed = chunk if declared else f"{CHUNK:x}\r\n".encode() + chunk + b"\r\n"
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as sock:

        def send_body() -> None:
            with contextlib.suppress(OSError):
                for _ in range(BIG // CHUNK):
                    sock.sendall(framed)
                if not declared:
                    sock.sendall(b"0\r\n\r\n")

        sock.sendall(head)
        started = time.monotonic()
        sender = threading.Thread(target=send_body)
        sender.start()
        answer = sock.recv(4096)
        elapsed = time.monotonic() - started
        sender.join(30)
    status = int(answer.split(b" ", 2)[1])
    return status, elapsed


DESIRED = "/api/v1/twins/ward1/k1/desired"


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_64_mib_body_without_a_token_is_refused_at_once_without_growing_the_service(
    service: ServiceProcess, declared: bool
) -> None:
    before = rss_bytes(service)
    status, elapsed = send_big_put(service, {}, declared)
    growth = rss_bytes(service) - before
    print(f"64 MiB without token: {status} in {elapsed:.3f} s, RSS +{growth / 2**20:.1f} MiB")
    assert status in (401, 413)
    assert elapsed < 1.0
    assert growth < MAX_RSS_GROWTH


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_64_mib_body_with_a_token_gets_413_without_growing_the_service(
    service: ServiceProcess, declared: bool
) -> None:
    before = rss_bytes(service)
    status, elapsed = send_big_put(service, service.headers, declared)
    growth = rss_bytes(service) - before
    print(f"64 MiB with token: {status} in {elapsed:.3f} s, RSS +{growth / 2**20:.1f} MiB")
    assert status == 413
    assert elapsed < 1.0
    assert growth < MAX_RSS_GROWTH
    url = service.base_url + DESIRED
    small = httpx.put(url, json={"buzzer": True}, headers=service.headers, timeout=10)
    assert small.status_code == 200, small.text
    metrics = httpx.get(service.base_url + "/metrics", timeout=10).text
    assert 'accesstwin_http_requests_refused_total{reason="limit"} 1.0' in metrics
