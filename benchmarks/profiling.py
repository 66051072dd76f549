"""Optional profiling of a benchmark phase: pyinstrument when installed, else cProfile.

Both sample or trace the calling thread only (the event loop); the SQLite writer thread
spends its time in C with the GIL released, so it is mostly invisible here.
"""

from __future__ import annotations

import cProfile
import io
import pstats
from pathlib import Path
from typing import Any


class Profile:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._pyinstrument: Any = None
        self._cprofile: cProfile.Profile | None = None

    def start(self) -> None:
        if not self.enabled:
            return
        try:
            from pyinstrument import Profiler
        except ImportError:
            self._cprofile = cProfile.Profile()
            self._cprofile.enable()
            return
        self._pyinstrument = Profiler(interval=0.0005, async_mode="disabled")
        self._pyinstrument.start()

    def stop(self, path: Path) -> str | None:
        """Write the report next to ``path`` (``.txt``, plus ``.html`` for pyinstrument)."""
        if not self.enabled:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        text_path = path.with_suffix(".txt")
        if self._pyinstrument is not None:
            self._pyinstrument.stop()
            text_path.write_text(
                self._pyinstrument.output_text(unicode=True, color=False, show_all=False)
            )
            path.with_suffix(".html").write_text(self._pyinstrument.output_html())
            return f"pyinstrument profile: {text_path} (and .html)"
        if self._cprofile is not None:
            self._cprofile.disable()
            out = io.StringIO()
            stats = pstats.Stats(self._cprofile, stream=out)
            stats.sort_stats("tottime").print_stats(40)
            stats.sort_stats("cumulative").print_stats(40)
            text_path.write_text(out.getvalue())
            return f"cProfile profile: {text_path}"
        return None
