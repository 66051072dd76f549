"""Inside the speech worker process (``python -m twin_service.speech.worker DIR KIND``).

The worker loads one libespeak-ng (``KIND``: ``system`` or ``bundled``, see
:mod:`twin_service.speech.engine`) and renders with pyttsx3's espeak driver, the
project's speech stack (docs/domain.md, "Speech"); the library stays loaded between
requests. Protocol on stdin/stdout: first a JSON line ``{"ready": true, "engine",
"library", "version", "data"}`` (or ``{"ready": false, "error"}``); then per request
line ``{"text", "voice", "rate"}`` a JSON header ``{"ok": true, "size"}`` followed by
the WAV bytes, or ``{"ok": false, "error"}`` after which the worker exits.

pyttsx3 2.99 runs espeak asynchronously, on espeak's own thread, which causes the known
traps; the worker works around them, each request with a fresh engine and ``say()`` never:
``runAndWait`` may return before the WAV is written, so the worker waits for a completed
``finished-utterance``; a queued rate change is dropped when pyttsx3's ``stop()`` cancels
espeak mid-queue, so the worker sets voice and rate on an idle engine and waits
(``espeak_Synchronize``) until espeak has applied them; errors of queued commands (an
unknown voice) are swallowed, so it listens for ``error``.

Test hook: a worker started with ``ACCESSTWIN_SPEECH_TEST_HANG=1`` in its environment
sleeps forever on the exact text :data:`TEST_HANG_TEXT`. Nothing else reads that variable.
"""

from __future__ import annotations

import gc
import importlib
import io
import json
import os
import sys
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from twin_service.speech.engine import espeak_info, load_for_pyttsx3, loaded_library

HANG_ENV = "ACCESSTWIN_SPEECH_TEST_HANG"
TEST_HANG_TEXT = "accesstwin test hang"


class SpeechError(Exception):
    """No audio: the worker and the espeak-ng fallback both failed (the message says why)."""


def check_wav(data: bytes) -> bytes:
    """``data`` when it is a WAV with at least one frame; otherwise a SpeechError."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            frames = wav.getnframes()
    except (wave.Error, EOFError) as exc:
        raise SpeechError(f"not a WAV file: {exc}") from exc
    if frames <= 0:
        raise SpeechError("WAV has no frames")
    return data


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
        return check_wav(path.read_bytes())
    finally:
        del engine
        gc.collect()  # its driver clears espeak's callback when collected: do it now
        path.unlink(missing_ok=True)


def _start(kind: str, workdir: str) -> tuple[_Pyttsx3, dict[str, Any]]:
    """Load ``kind``'s libespeak-ng and render once, so a broken install shows at once."""
    load_for_pyttsx3(kind)
    espeak = importlib.import_module("pyttsx3.drivers._espeak")  # opens libespeak-ng
    pyttsx3 = _Pyttsx3(importlib.import_module("pyttsx3").init, espeak.Synchronize)
    warm_up = {"text": "ready", "voice": "en", "rate": 175}
    _render_with_fresh_engine(pyttsx3, warm_up, Path(workdir, f"w{os.getpid()}-warm.wav"))
    version, data = espeak_info(espeak.dll)
    facts = {"engine": kind, "library": loaded_library(), "version": version, "data": data}
    return pyttsx3, facts


def _worker_main(workdir: str, kind: str) -> None:
    reply = os.fdopen(os.dup(1), "wb")  # the protocol: a JSON header line, then WAV bytes
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # pyttsx3 prints "Audio saved to ..."
    hang_hook, pid = os.environ.get(HANG_ENV) == "1", os.getpid()

    def send(header: dict[str, Any], body: bytes = b"") -> None:
        reply.write(json.dumps(header).encode() + b"\n" + body)
        reply.flush()

    try:
        pyttsx3, facts = _start(kind, workdir)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which falls back
        send({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    send({"ready": True, **facts})
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
    _worker_main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "system")
