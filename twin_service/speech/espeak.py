"""espeak-ng speech for feedback frames: a worker process, an LRU cache of WAVs, a fallback.

Primary path: one worker process (:mod:`twin_service.speech.worker`) rendering with
pyttsx3's espeak driver on the libespeak-ng chosen by ``engine``
(:mod:`twin_service.speech.engine`: the system's, or the one bundled in the
``espeakng-loader`` wheel). After a failed request the worker exits; after ``timeout_s``
(a hang) it is killed; the next request starts a new one. A library that cannot start
is not tried again (``auto`` then goes on to the bundled one).

Fallback: the ``espeak-ng`` binary, one process per request, when the worker fails (or
``prefer_pyttsx3=False``); not with ``engine="bundled"``. Arguments go as a list, never
through a shell; the text goes on stdin, so text starting with "-" cannot be taken for
an option.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import logging
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessibility.speech import SpeechRequest, cache_key
from twin_service.speech.cache import WavCache
from twin_service.speech.engine import bundled_espeak, candidates, system_library_present
from twin_service.speech.worker import HANG_ENV, TEST_HANG_TEXT, SpeechError, check_wav

__all__ = ["HANG_ENV", "TEST_HANG_TEXT", "EspeakSpeech", "SpeechError", "speech_available"]

log = logging.getLogger(__name__)

_PIPE, _DEVNULL = asyncio.subprocess.PIPE, asyncio.subprocess.DEVNULL
PROBE = SpeechRequest("ready", 175)


def speech_available(espeak_binary: str = "espeak-ng") -> bool:
    """True when a path can work: the espeak-ng binary, or pyttsx3 with a libespeak-ng
    (the system's or the bundled one)."""
    if shutil.which(espeak_binary) is not None:
        return True
    if importlib.util.find_spec("pyttsx3") is None:
        return False
    return system_library_present() or bundled_espeak() is not None


@dataclass
class SpeechStats:
    syntheses: int = 0  # cache misses that started a render (coalesced callers not counted)
    cache_hits: int = 0
    coalesced: int = 0  # callers that joined a render already under way
    worker_renders: int = 0
    cli_renders: int = 0
    worker_starts: int = 0
    worker_kills: int = 0  # timeouts, broken pipes, cancellations


def describe_engine(facts: dict[str, Any]) -> str:
    """One line about a worker's library, from its hello."""
    where = (
        "bundled with the espeakng-loader wheel"
        if facts.get("engine") == "bundled"
        else "the system's library"
    )
    return f"espeak-ng {facts.get('version', '?')}, {where} ({facts.get('library')})"


class _Worker:
    """The worker process: one request at a time, killed on a timeout or a broken pipe."""

    def __init__(self, workdir: str, stats: SpeechStats, kinds: tuple[str, ...]) -> None:
        self._workdir, self._stats = workdir, stats
        self._kinds = list(kinds)  # libraries still to try; one that failed to start is dropped
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self.unavailable: str | None = None  # why no library can start; then never retried
        self.facts: dict[str, Any] = {}  # the running library's hello (engine, version, …)
        self._start_errors: list[str] = []

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

    async def start(self, timeout_s: float) -> None:
        """Start the worker now, if it is not running (to learn early whether speech works)."""
        async with self._lock:
            if self._proc is None or self._proc.returncode is not None:
                try:
                    await asyncio.wait_for(self._start(), timeout_s)
                except (OSError, ValueError) as exc:
                    await self.stop()
                    raise SpeechError(f"worker failed to start: {exc!r}") from exc
                except TimeoutError:
                    self._stats.worker_kills += 1
                    await self.stop()
                    raise SpeechError(f"worker took over {timeout_s} s to start; killed") from None

    async def _start(self) -> asyncio.subprocess.Process:
        while self._kinds:
            kind = self._kinds[0]
            self._proc = proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "twin_service.speech.worker", self._workdir, kind,
                stdin=_PIPE, stdout=_PIPE,
            )  # fmt: skip
            self._stats.worker_starts += 1
            assert proc.stdout is not None
            hello = json.loads(await proc.stdout.readline() or b"{}")
            if hello.get("ready"):
                self.facts = hello
                log.info("speech worker started: %s", describe_engine(hello))
                return proc
            self._start_errors.append(f"{kind}: {hello.get('error', 'exited at start-up')}")
            log.info("speech: the %s libespeak-ng cannot start: %s", kind, hello.get("error"))
            self._kinds.pop(0)
            await self.stop()
        self.unavailable = "; ".join(self._start_errors) or "no espeak-ng library to try"
        raise SpeechError(f"pyttsx3 unavailable: {self.unavailable}")

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
        allow_fallback: bool = True, espeak_binary: str = "espeak-ng", engine: str = "auto",
    ) -> None:  # fmt: skip
        kinds = candidates(engine)  # a ValueError for an unknown engine, before any resource
        self.stats = SpeechStats()
        self._timeout_s, self._binary = timeout_s, espeak_binary
        self._prefer_pyttsx3 = prefer_pyttsx3
        self._allow_fallback = allow_fallback and engine != "bundled"  # the binary is system's
        self._cache = WavCache(cache_max_entries, cache_max_bytes)
        self._inflight: dict[str, asyncio.Task[bytes]] = {}
        self._workdir = tempfile.mkdtemp(prefix="accesstwin-speech-")
        self._worker = _Worker(self._workdir, self.stats, kinds)
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

    @property
    def engine_facts(self) -> dict[str, Any]:
        """The running worker's library: ``engine``, ``library``, ``version``, ``data``."""
        return dict(self._worker.facts)

    async def probe(self) -> str:
        """Start speech now; one line saying what renders it, or a SpeechError saying why
        nothing can (for start-up, so a missing engine shows before the first prompt)."""
        problems: list[str] = []
        if self._prefer_pyttsx3 and self._worker.unavailable is None:
            try:
                await self._worker.start(self._timeout_s)
            except SpeechError as exc:
                problems.append(str(exc))
            else:
                return describe_engine(self._worker.facts)
        if not self._prefer_pyttsx3 or self._allow_fallback:
            try:
                check_wav(await self._render_cli(PROBE))
            except SpeechError as exc:
                problems.append(str(exc))
            else:
                return f"espeak-ng, the system's program ({shutil.which(self._binary)})"
        raise SpeechError("; ".join(problems) or "no speech engine allowed")

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
                audio = check_wav(await self._worker.render(request, self._timeout_s))
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
            return check_wav(out.read_bytes())
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
