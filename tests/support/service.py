"""Run ``accesstwin serve`` as a real process, the way operators run it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.broker import free_port

TOKEN = "test-token-" + uuid.uuid4().hex


@dataclass
class ServiceProcess:
    mqtt_url: str
    db_path: Path
    prefix: str = field(default_factory=lambda: "t" + uuid.uuid4().hex[:10] + "/v1")
    client_id: str = field(default_factory=lambda: "gw-" + uuid.uuid4().hex[:12])
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            ACCESSTWIN_MQTT_URL=self.mqtt_url,
            ACCESSTWIN_MQTT_PREFIX=self.prefix,
            ACCESSTWIN_MQTT_CLIENT_ID=self.client_id,
            ACCESSTWIN_STORE=f"sqlite:///{self.db_path}",
            ACCESSTWIN_HTTP_PORT=str(self.port),
            ACCESSTWIN_API_TOKEN=TOKEN,
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60.0) -> None:
        # 60 s: on a loaded machine (parallel workers, other jobs) its imports alone
        # have taken 20 s; a test that claims a start-up time asserts it itself.
        self.log_path = self.db_path.with_suffix(f".{int(time.time() * 1000)}.log")
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "twin_service.cli", "serve", "--log-level", "warning"],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"service exited {self.process.returncode}: {self.log()}")
            try:
                if httpx.get(self.base_url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"service not ready after {timeout} s: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path else ""

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self) -> int:
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(20)
        except subprocess.TimeoutExpired as exc:
            self.process.kill()
            # The service logs each step of its stop that takes over a second.
            raise RuntimeError(f"service did not stop in 20 s; its log ends: {self.log()}") from exc
        finally:
            self.process = None

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(self.base_url + path, headers=self.headers, params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}?token={TOKEN}"
