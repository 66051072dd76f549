"""espeak-ng speech for feedback frames: a worker process, an LRU cache of WAVs, a fallback.

Primary path: one worker process (``python -m twin_service.speech.espeak``) rendering with
pyttsx3's espeak driver, the project's speech stack (DOMAIN.md); libespeak-ng stays loaded.
pyttsx3 2.99 runs espeak asynchronously, on espeak's own thread, which causes the known
traps; the worker works around them, each request with a fresh engine and ``say()`` never:
``runAndWait`` may return before the WAV is written, so the worker waits for a completed
``finished-utterance``; a queued rate change is dropped when pyttsx3's ``stop()`` cancels
espeak mid-queue, so the worker sets voice and rate on an idle engine and waits
(``espeak_Synchronize``) until espeak has applied them; errors of queued commands (an
unknown voice) are swallowed, so it listens for ``error``. After a failed request the
worker exits; after ``timeout_s`` (a hang) it is killed; the next request starts a new one.

Fallback: the ``espeak-ng`` binary, one process per request, when the worker fails (or
``prefer_pyttsx3=False``). Arguments go as a list, never through a shell; the text goes on
stdin, so text starting with "-" cannot be taken for an option.

Test hook: a worker started with ``ACCESSTWIN_SPEECH_TEST_HANG=1`` in its environment
sleeps forever on the exact text :data:`TEST_HANG_TEXT`. Nothing else reads that variable.
"""

from __future__ import annotations

import asyncio
import ctypes.util
import gc
import importlib
import importlib.util
import io
import itertools
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import threading
import time
import wave
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from accessibility.speech import SpeechRequest, cache_key

log = logging.getLogger(__name__)

HANG_ENV = "ACCESSTWIN_SPEECH_TEST_HANG"
TEST_HANG_TEXT = "accesstwin test hang"
_PIPE, _DEVNULL = asyncio.subprocess.PIPE, asyncio.subprocess.DEVNULL


class SpeechError(Exception):
    """No audio: the worker and the espeak-ng fallback both failed (the message says why)."""


def speech_available(espeak_binary: str = "espeak-ng") -> bool:
    """True when a path can work: the espeak-ng binary, or pyttsx3 and libespeak-ng."""
    if shutil.which(espeak_binary) is not None:
        return True
    return bool(importlib.util.find_spec("pyttsx3") and ctypes.util.find_library("espeak-ng"))


def _check_wav(data: bytes) -> bytes:
    try:
        with wave.open(io.BytesIO(data)) as wav:
            frames = wav.getnframes()
    except (wave.Error, EOFError) as exc:
        raise SpeechError(f"not a WAV file: {exc}") from exc
    if frames <= 0:
        raise SpeechError("WAV has no frames")
    return data


@dataclass
class SpeechStats:
    syntheses: int = 0  # cache misses that started a render (coalesced callers not counted)
    cache_hits: int = 0
    coalesced: int = 0  # callers that joined a render already under way
    worker_renders: int = 0
    cli_renders: int = 0
    worker_starts: int = 0
    worker_kills: int = 0  # timeouts, broken pipes, cancellations


class _LruCache:
    """WAVs by key, least recently used evicted past ``max_entries`` or ``max_bytes``;
    evictions are counted and logged (once a minute at most)."""

    LOG_EVERY_S = 60.0

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._max_entries, self.max_bytes, self.bytes = max_entries, max_bytes, 0
        self.evictions = 0
        self._logged_at = -math.inf

    def get(self, key: str) -> bytes | None:
        if key in self._items:
            self._items.move_to_end(key)
        return self._items.get(key)

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes or self._max_entries <= 0:
            return
        self.bytes += len(value) - len(self._items.pop(key, b""))
        self._items[key] = value
        evicted = 0
        while len(self._items) > self._max_entries or self.bytes > self.max_bytes:
            self.bytes -= len(self._items.popitem(last=False)[1])
            evicted += 1
        if evicted:
            self.evictions += evicted
            self._log_eviction()

    def _log_eviction(self) -> None:
        now = time.monotonic()
        if now - self._logged_at >= self.LOG_EVERY_S:
            self._logged_at = now
            log.warning(
                "speech cache full (%d entries, %.1f of %.1f MiB; ACCESSTWIN_SPEECH_CACHE_MB):"
                " evicting least recently used audio, %d evicted so far (logged once a minute)",
                len(self._items),
                self.bytes / 2**20,
                self.max_bytes / 2**20,
                self.evictions,
            )


class _Worker:
    """The worker process: one request at a time, killed on a timeout or a broken pipe."""

    def __init__(self, workdir: str, stats: SpeechStats) -> None:
        self._workdir, self._stats = workdir, stats
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self.unavailable: str | None = None  # why pyttsx3 cannot load; then never retried

    async def render(self, request: SpeechRequest, timeout_s: float) -> bytes:
        async with self._lock:
            try:
                return await asyncio.wait_for(self._exchange(request), timeout_s)
            except SpeechError:  # reported by the worker, which then exits
                await self.stop()
                raise
            except BaseException as exc:  # a hang, a broken pipe, a cancellation: kill it
                self._stats.worker_kills += 1
                await self.stop()
                if isinstance(exc, TimeoutError):
                    raise SpeechError(f"worker took over {timeout_s} s; killed") from None
                if isinstance(exc, OSError | ValueError | asyncio.IncompleteReadError):
                    raise SpeechError(f"worker failed: {exc!r}") from exc
                raise

    async def _exchange(self, request: SpeechRequest) -> bytes:
        proc = self._proc if self._proc and self._proc.returncode is None else await self._start()
        assert proc.stdin is not None and proc.stdout is not None
        job = {"text": request.text, "voice": request.voice, "rate": request.rate_wpm}
        proc.stdin.write(json.dumps(job).encode() + b"\n")
        await proc.stdin.drain()
        header = json.loads(await proc.stdout.readline())
        if not header.get("ok"):
            raise SpeechError(f"pyttsx3: {header.get('error')}")
        return await proc.stdout.readexactly(int(header["size"]))

    async def _start(self) -> asyncio.subprocess.Process:
        self._proc = proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "twin_service.speech.espeak", self._workdir,
            stdin=_PIPE, stdout=_PIPE,
        )  # fmt: skip
        self._stats.worker_starts += 1
        assert proc.stdout is not None
        hello = json.loads(await proc.stdout.readline() or b"{}")
        if not hello.get("ready"):
            self.unavailable = str(hello.get("error", "worker exited at start-up"))
            await self.stop()
            raise SpeechError(f"pyttsx3 unavailable: {self.unavailable}")
        return proc

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.returncode is None:
                proc.kill()  # nothing to flush: a worker holds no state between requests
            await proc.wait()


class EspeakSpeech:
    """A :class:`~accessibility.speech.SpeechSynthesizer` over espeak-ng with an LRU cache.

    Identical concurrent requests share one render. Use from one event loop; ``close()``.
    """

    def __init__(
        self, *, timeout_s: float = 10.0, cache_max_entries: int = 256,
        cache_max_bytes: int = 32 * 1024 * 1024, prefer_pyttsx3: bool = True,
        allow_fallback: bool = True, espeak_binary: str = "espeak-ng",
    ) -> None:  # fmt: skip
        self.stats = SpeechStats()
        self._timeout_s, self._binary = timeout_s, espeak_binary
        self._prefer_pyttsx3, self._allow_fallback = prefer_pyttsx3, allow_fallback
        self._cache = _LruCache(cache_max_entries, cache_max_bytes)
        self._inflight: dict[str, asyncio.Task[bytes]] = {}
        self._workdir = tempfile.mkdtemp(prefix="accesstwin-speech-")
        self._worker = _Worker(self._workdir, self.stats)
        self._seq = itertools.count()
        self._closed = False

    @property
    def cache_bytes(self) -> int:
        return self._cache.bytes

    @property
    def cache_max_bytes(self) -> int:
        return self._cache.max_bytes

    @property
    def cache_evictions(self) -> int:
        return self._cache.evictions

    def cached(self, key: str) -> bytes | None:
        """The WAV already rendered under ``key`` (for ``/api/v1/speech/{key}.wav``)."""
        return self._cache.get(key)

    async def synthesize(self, request: SpeechRequest) -> bytes:
        if self._closed:
            raise SpeechError("speech synthesiser is closed")
        key = cache_key(request)
        if (audio := self._cache.get(key)) is not None:
            self.stats.cache_hits += 1
            return audio
        if (task := self._inflight.get(key)) is not None:
            self.stats.coalesced += 1
        else:
            self.stats.syntheses += 1
            task = self._inflight[key] = asyncio.create_task(self._render(key, request))
            task.add_done_callback(lambda t: self._inflight.pop(key, None))
        try:
            return await asyncio.shield(task)  # one caller giving up cancels no other caller
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._closed and current is not None and not current.cancelling():
                raise SpeechError("speech synthesiser closed during the render") from None
            raise

    async def _render(self, key: str, request: SpeechRequest) -> bytes:
        problems: list[str] = []
        if self._prefer_pyttsx3 and self._worker.unavailable is None:
            try:
                audio = _check_wav(await self._worker.render(request, self._timeout_s))
                self.stats.worker_renders += 1
            except SpeechError as exc:
                problems.append(str(exc))
            else:
                self._cache.put(key, audio)
                return audio
        if self._prefer_pyttsx3 and not self._allow_fallback:
            raise SpeechError("; ".join(problems) or f"pyttsx3: {self._worker.unavailable}")
        try:
            audio = await self._render_cli(request)
        except SpeechError as exc:
            raise SpeechError("; ".join([*problems, str(exc)])) from exc
        self.stats.cli_renders += 1
        self._cache.put(key, audio)
        return audio

    async def _render_cli(self, request: SpeechRequest) -> bytes:
        out = Path(self._workdir) / f"cli-{next(self._seq)}.wav"
        args = ["-s", str(request.rate_wpm), "-v", request.voice, "-w", str(out), "--stdin"]
        try:
            proc = await asyncio.create_subprocess_exec(
                self._binary, *args, stdin=_PIPE, stdout=_DEVNULL, stderr=_PIPE
            )
        except OSError as exc:
            raise SpeechError(f"espeak-ng: {exc}") from exc
        try:
            talk = proc.communicate(request.text.encode())
            _, err = await asyncio.wait_for(talk, self._timeout_s)
            if proc.returncode != 0:
                raise SpeechError(f"espeak-ng exited {proc.returncode}: {err.decode().strip()}")
            return _check_wav(out.read_bytes())
        except TimeoutError:
            raise SpeechError(f"espeak-ng took over {self._timeout_s} s") from None
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            out.unlink(missing_ok=True)

    async def close(self) -> None:
        """Cancel renders under way, stop the worker and remove its scratch directory."""
        self._closed = True
        for task in self._inflight.values():
            task.cancel()
        await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        await self._worker.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)


SpeechWorkerPool = EspeakSpeech  # the design notes' name: a pool of one worker process


# --- inside the worker process --------------------------------------------------------


@dataclass(frozen=True)
class _Pyttsx3:  # pyttsx3.init, and espeak_Synchronize (returns when espeak's queue is empty)
    init: Callable[[str], _Engine]
    synchronize: Callable[[], int]


class _Engine(Protocol):  # the part of pyttsx3.Engine used here (pyttsx3 has no stubs)
    def setProperty(self, name: str, value: object) -> None: ...  # noqa: N802
    def save_to_file(self, text: str, filename: str) -> None: ...
    def runAndWait(self) -> None: ...  # noqa: N802
    def connect(self, topic: str, cb: Callable[..., object]) -> object: ...


def _render_with_fresh_engine(pyttsx3: _Pyttsx3, job: dict[str, Any], path: Path) -> bytes:
    engine = pyttsx3.init("espeak")  # a new Engine: the previous one was dropped, collected
    done, outcome = threading.Event(), list[object]()  # finished (completed?), or errors

    def finished(**event: object) -> None:
        outcome.append(event.get("completed"))
        done.set()

    engine.connect("finished-utterance", finished)
    engine.connect("error", lambda **event: outcome.append(event.get("exception")))
    try:
        pyttsx3.synchronize()  # espeak idle, so pyttsx3's stop() below cancels nothing
        engine.runAndWait()  # an empty loop leaves the engine idle: commands now run at once
        engine.setProperty("voice", job["voice"])
        engine.setProperty("rate", job["rate"])
        pyttsx3.synchronize()  # espeak's thread has applied the rate before we synthesise
        engine.save_to_file(job["text"], str(path))
        engine.runAndWait()
        if not done.wait(60.0):  # the parent's timeout normally strikes first
            raise RuntimeError("espeak never finished the utterance")
        if outcome != [True]:
            raise RuntimeError(f"pyttsx3 reported {outcome!r}")
        return _check_wav(path.read_bytes())
    finally:
        del engine
        gc.collect()  # its driver clears espeak's callback when collected: do it now
        path.unlink(missing_ok=True)


def _worker_main(workdir: str) -> None:
    reply = os.fdopen(os.dup(1), "wb")  # the protocol: a JSON header line, then WAV bytes
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # pyttsx3 prints "Audio saved to ..."
    hang_hook, pid = os.environ.get(HANG_ENV) == "1", os.getpid()

    def send(header: dict[str, Any], body: bytes = b"") -> None:
        reply.write(json.dumps(header).encode() + b"\n" + body)
        reply.flush()

    try:  # load libespeak-ng and render once now, so a broken install shows at start-up
        espeak = importlib.import_module("pyttsx3.drivers._espeak")  # loads libespeak-ng
        pyttsx3 = _Pyttsx3(importlib.import_module("pyttsx3").init, espeak.Synchronize)
        warm_up = {"text": "ready", "voice": "en", "rate": 175}
        _render_with_fresh_engine(pyttsx3, warm_up, Path(workdir, f"w{pid}-warm.wav"))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which falls back
        send({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    send({"ready": True})
    for n, line in enumerate(sys.stdin.buffer):
        job = json.loads(line)
        while hang_hook and job["text"] == TEST_HANG_TEXT:
            time.sleep(3600)
        try:
            audio = _render_with_fresh_engine(pyttsx3, job, Path(workdir, f"w{pid}-{n}.wav"))
        except Exception as exc:  # noqa: BLE001 - reported; then exit, as espeak's state is
            send({"ok": False, "error": f"{type(exc).__name__}: {exc}"})  # suspect (after an
            return  # unknown voice, the next utterance is reported finished twice)
        send({"ok": True, "size": len(audio)}, audio)


if __name__ == "__main__":
    _worker_main(sys.argv[1])
