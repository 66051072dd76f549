"""Publishers that no one here wrote: ``mosquitto_pub -l`` processes (C, libmosquitto).

``mosquitto_pub -l`` publishes every line of its standard input as one message on one
topic, so each kit's messages go to one process. Its payloads are written to a file
before anything is timed; the processes then read them from there.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import IO, Any

from benchmarks.broker import host_port

MAX_INFLIGHT = 100  # QoS 1 messages each publisher keeps unacknowledged at most


def mosquitto_pub() -> str:
    binary = shutil.which("mosquitto_pub")
    if binary is None:
        raise RuntimeError("mosquitto_pub not found (apt-get install mosquitto-clients)")
    return binary


class CPublishers:
    """One ``mosquitto_pub -l -q 1`` process per topic of ``messages``."""

    def __init__(self, url: str, messages: list[tuple[str, bytes]], workdir: Path) -> None:
        by_topic: dict[str, list[bytes]] = defaultdict(list)
        for topic, payload in messages:
            if b"\n" in payload:
                raise ValueError("mosquitto_pub -l sends one message per line: no newlines")
            by_topic[topic].append(payload)
        self.url = url
        self.files: list[tuple[str, Path, int]] = []
        for i, (topic, payloads) in enumerate(by_topic.items()):
            path = workdir / f"publisher-{i}-{uuid.uuid4().hex[:6]}.lines"
            path.write_bytes(b"\n".join(payloads) + b"\n")
            self.files.append((topic, path, len(payloads)))
        self._processes: list[subprocess.Popen[bytes]] = []
        self._inputs: list[IO[bytes]] = []
        self._started = 0.0

    def __len__(self) -> int:
        return len(self.files)

    def start(self) -> None:
        host, port = host_port(self.url)
        binary = mosquitto_pub()
        self._started = time.perf_counter()
        for topic, path, _ in self.files:
            source = path.open("rb")
            self._inputs.append(source)
            self._processes.append(
                subprocess.Popen(  # noqa: S603 - the Debian client with our arguments
                    [
                        *(binary, "-h", host, "-p", str(port), "-q", "1", "-t", topic, "-l"),
                        *("-M", str(MAX_INFLIGHT), "-i", f"bench-pub-{uuid.uuid4().hex[:10]}"),
                    ],
                    stdin=source,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )

    def wait(self, timeout: float = 300.0) -> dict[str, Any]:
        """Wait until every publisher has exited (each after its last PUBACK)."""
        deadline = time.monotonic() + timeout
        errors: list[str] = []
        for process in self._processes:
            try:
                _, err = process.communicate(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                _, err = process.communicate()
            if process.returncode != 0:
                errors.append(f"exit {process.returncode}: {err.decode(errors='replace')[:200]}")
        seconds = time.perf_counter() - self._started
        for source in self._inputs:
            source.close()
        sent = sum(n for _, _, n in self.files)
        return {
            "published": sent,
            "acked": sent if not errors else 0,
            "seconds": seconds,
            "publishers": len(self.files),
            "errors": errors,
        }
