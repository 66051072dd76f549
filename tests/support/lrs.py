"""A real xAPI LRS for the tests: ralph (PyPI ``ralph-malph``) with its file backend.

ralph pins its own FastAPI and uvicorn, so it lives in a venv of its own, made once and
kept (``ACCESSTWIN_TEST_RALPH_VENV``, default /tmp/ralph-venv). ``ralph auth`` writes the
users file; ``ralph runserver -b fs`` serves ``/xAPI/statements`` on a free loopback port
and keeps statements in ``<dir>/fs_lrs.jsonl`` (one JSON statement a line), which outlives
a stop, so an LRS stopped and started again on the same directory has them all.

ralph 5.1's file backend writes each POST with operation type "create", so every POST
after the first fails ("already exists and overwrite is not allowed", HTTP 500). The
server (``ralph runserver -b fs``, as it is) gets ``ralph_site/`` on its PYTHONPATH,
whose ``sitecustomize`` makes that backend append (its documented ``APPEND`` mode) in
ralph's reloader and server processes; nothing else is changed.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.broker import free_port

RALPH = "ralph-malph[cli,lrs]==5.1.0"
EXTRA = ("requests",)  # ralph's LRS imports it (OIDC) without declaring it in [lrs]
USER, PASSWORD = "accesstwin", "lrs-test-password"
SITE = Path(__file__).with_name("ralph_site")  # its sitecustomize.py makes the fs backend append


def ralph_executable() -> Path:
    venv = Path(os.environ.get("ACCESSTWIN_TEST_RALPH_VENV", "/tmp/ralph-venv"))
    ralph, ready = venv / "bin" / "ralph", venv / "accesstwin-ready"
    if ready.exists():
        return ralph
    venv.parent.mkdir(parents=True, exist_ok=True)
    # One maker at a time (parallel test workers, other runs): the others wait, then use it;
    # an older venv (no marker) is completed in place (pip finds what it has).
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists():
            return ralph
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                 RALPH, *EXTRA],
                check=True, timeout=900,
            )  # fmt: skip
        except (subprocess.SubprocessError, OSError) as exc:
            message = f"could not install {RALPH} into {venv}: {exc}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        ready.touch()
    return ralph


@dataclass
class RalphLrs:
    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI"

    @property
    def auth(self) -> str:
        return f"{USER}:{PASSWORD}"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RALPH_AUTH_FILE": str(self.directory / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_APP_DIR": str(self.directory / "app"),
            "PYTHONPATH": str(SITE),
        }

    def create_user(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(ralph_executable()), "auth", "-u", USER, "-p", PASSWORD, "-s", "all",
             "-A", USER, "http://accesstwin.test", "-w"],
            env=self._env(), check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self, timeout: float = 60) -> None:
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        log = (self.directory / f"ralph.{int(time.time() * 1000)}.log").open("wb")
        self.process = subprocess.Popen(
            [str(ralph_executable()), "runserver", "-b", "fs",
             "--fs-default-directory-path", str(self.directory / "data"),
             "-h", "127.0.0.1", "-p", str(self.port)],
            env=self._env(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ralph exited {self.process.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/__heartbeat__", timeout=1).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError("ralph did not start")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def stored(self) -> list[dict[str, Any]]:
        """Every statement the LRS holds, as it stored them (from its file)."""
        path = self.directory / "data" / "fs_lrs.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
