"""Which libespeak-ng the speech worker loads (``ACCESSTWIN_SPEECH_ENGINE``).

- ``system``: the operating system's ``libespeak-ng.so.1`` and its voice data (Debian:
  ``apt-get install espeak-ng``), with the ``espeak-ng`` program as the fallback.
- ``bundled``: the library and voice data (all languages) shipped in the
  ``espeakng-loader`` wheel from PyPI, so speech needs no system package. No fallback:
  the program would be the system's. The wheel exists for 64-bit Linux (x86-64, ARM),
  macOS and Windows, not for 32-bit ARM; this module's loading is written for Linux.
- ``auto`` (default): the system's when it loads and renders, otherwise the bundled one.

pyttsx3's espeak driver opens the library by its name ``libespeak-ng.so.1``. The bundled
library has that soname, so once it is loaded (``RTLD_GLOBAL``) the driver's ``dlopen``
of that name gets it rather than searching the system. Its voice data is found through
``ESPEAK_DATA_PATH`` (espeak-ng looks for ``$ESPEAK_DATA_PATH/espeak-ng-data``), set only
inside the worker process. Nothing here runs at import time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

ENGINES = ("auto", "system", "bundled")
ENGINE_ENV = "ACCESSTWIN_SPEECH_ENGINE"


def candidates(engine: str) -> tuple[str, ...]:
    """The libraries to try, in order, for an engine setting."""
    if engine == "auto":
        return ("system", "bundled")
    if engine in ENGINES:
        return (engine,)
    raise ValueError(f"must be one of {', '.join(ENGINES)}, got {engine!r}")


@dataclass(frozen=True, slots=True)
class BundledEspeak:
    """The espeakng-loader wheel's library, and the directory holding ``espeak-ng-data``."""

    library: Path
    data_parent: Path


def bundled_espeak() -> BundledEspeak | None:
    """Where the wheel put libespeak-ng and its data, or None when it is not installed."""
    if importlib.util.find_spec("espeakng_loader") is None:
        return None
    loader = importlib.import_module("espeakng_loader")
    library = Path(loader.get_library_path())
    data = library.parent / "espeak-ng-data"
    if not library.is_file() or not data.is_dir():
        return None
    return BundledEspeak(library, data.parent)


def system_library_present() -> bool:
    """True when the system's library search finds a libespeak-ng (it may still not load)."""
    return ctypes.util.find_library("espeak-ng") is not None


def load_for_pyttsx3(kind: str) -> None:
    """In the worker, before pyttsx3's driver is imported: make ``kind``'s library the one
    it will open. ``system`` needs nothing; ``bundled`` is loaded here by its path."""
    if kind == "system":
        return
    if kind != "bundled":
        raise ValueError(f"unknown espeak-ng library kind {kind!r}")
    bundled = bundled_espeak()
    if bundled is None:
        raise RuntimeError("the espeakng-loader wheel (bundled espeak-ng) is not installed")
    os.environ["ESPEAK_DATA_PATH"] = str(bundled.data_parent)
    ctypes.CDLL(str(bundled.library), mode=ctypes.RTLD_GLOBAL)


def loaded_library() -> str | None:
    """The path of the libespeak-ng mapped into this process (Linux), if any."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.rstrip("\n").split(maxsplit=5)[-1]
                if "libespeak" in Path(path).name:
                    return path
    except OSError:
        return None
    return None


def espeak_info(library: ctypes.CDLL) -> tuple[str, str]:
    """(version, voice data directory) of an initialised libespeak-ng (``espeak_Info``)."""
    info = library.espeak_Info
    info.restype = ctypes.c_char_p
    info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
    data = ctypes.c_char_p()
    version = info(ctypes.byref(data)) or b"?"
    return version.decode(errors="replace"), (data.value or b"").decode(errors="replace")
