"""The browser driver: a Node process (tests/browser/js/driver.mjs) that drives Debian's
Chromium through playwright-core, spoken to one JSON line at a time.

Needs `node` (20+), `/usr/bin/chromium` and `npm ci` run in tests/browser/js.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.service import ServiceProcess

JS_DIR = Path(__file__).parent / "js"
DRIVER = JS_DIR / "driver.mjs"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("ACCESSTWIN_CHROMIUM", "/usr/bin/chromium")


class DriverError(RuntimeError):
    pass


class Browser:
    """The Node driver as a process: ``call("open", name=..., url=...)`` and friends."""

    def __init__(self, log_path: Path) -> None:
        node = shutil.which("node")
        missing = [
            what
            for what, ok in (
                ("node", node is not None),
                (CHROMIUM, Path(CHROMIUM).exists()),
                (
                    "tests/browser/js/node_modules (run `npm ci` there)",
                    (JS_DIR / "node_modules" / "playwright-core").is_dir(),
                ),
            )
            if not ok
        ]
        if missing:
            pytest.fail("browser tests need: " + ", ".join(missing), pytrace=False)
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(node), str(DRIVER)],
            cwd=JS_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            encoding="utf-8",
        )
        self._answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._next_id = 0
        hello = self._answer(0, timeout=60)
        self.version = hello["browser"]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self._answers.put(json.loads(line))
            except json.JSONDecodeError:
                continue
        self._answers.put(None)

    def _answer(self, want: int, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self._answers.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise DriverError(
                    f"no answer from the driver in {timeout} s; {self.stderr()}"
                ) from None
            if msg is None:
                raise DriverError(f"the driver exited; {self.stderr()}")
            if msg.get("id") != want:
                continue
            if not msg.get("ok"):
                raise DriverError(str(msg.get("error")))
            return msg.get("result")

    def call(self, cmd: str, timeout: float = 60.0, **args: Any) -> Any:
        assert self.proc.stdin is not None
        self._next_id += 1
        self.proc.stdin.write(json.dumps({"id": self._next_id, "cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        return self._answer(self._next_id, timeout)

    def wait(self, name: str, expression: str, timeout: float = 10.0) -> Any:
        """Wait until ``expression`` (JS, evaluated in the page) is truthy; return its value."""
        return self.call(
            "wait",
            timeout=timeout + 10,
            name=name,
            expression=expression,
            timeout_ms=int(timeout * 1000),
        )

    def js(self, name: str, expression: str) -> Any:
        return self.call("eval", name=name, expression=expression)

    def stderr(self) -> str:
        self._log.flush()
        return "driver stderr: " + self.log_path.read_text(errors="replace")[-3000:]

    def close(self) -> None:
        try:
            if self.proc.poll() is None and self.proc.stdin is not None:
                self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.stdin.close()
            self.proc.wait(20)
        except (subprocess.TimeoutExpired, BrokenPipeError, OSError):
            self.proc.kill()
            self.proc.wait(10)
        finally:
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self._reader.join(5)
            self._log.close()


def api(svc: ServiceProcess) -> httpx.Client:
    return httpx.Client(base_url=svc.base_url, headers=svc.headers, timeout=10)
