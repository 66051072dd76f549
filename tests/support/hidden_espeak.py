"""Run a command as on a machine without the system's espeak-ng: in a private mount
namespace (``unshare --mount``, needs root) where the ``espeak-ng`` program and every
system ``libespeak-ng`` are covered by ``/dev/null`` and the system voice data by an
empty tmpfs. Nothing outside the namespace changes."""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import subprocess
from pathlib import Path

_LIBRARY_GLOBS = (
    "/usr/lib/*/libespeak-ng.so*",
    "/lib/*/libespeak-ng.so*",
    "/usr/lib/libespeak-ng.so*",
    "/usr/local/lib/libespeak-ng.so*",
)
_DATA_GLOBS = (
    "/usr/lib/*/espeak-ng-data",
    "/usr/share/espeak-ng-data",
    "/usr/local/share/espeak-ng-data",
)


def system_espeak_paths() -> tuple[list[str], list[str]]:
    """(files to cover: the program and the libraries, resolved; voice data directories)."""
    files = {os.path.realpath(p) for pattern in _LIBRARY_GLOBS for p in glob.glob(pattern)}
    program = shutil.which("espeak-ng")
    if program:
        files.add(os.path.realpath(program))
    dirs = {os.path.realpath(p) for pattern in _DATA_GLOBS for p in glob.glob(pattern)}
    return sorted(f for f in files if Path(f).is_file()), sorted(
        d for d in dirs if Path(d).is_dir()
    )


def can_hide() -> bool:
    """True when this process may make a mount namespace (root, util-linux ``unshare``)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = ["unshare", "--mount", "--propagation", "private", "true"]
    return subprocess.run(probe, capture_output=True, check=False, timeout=10).returncode == 0


def without_system_espeak(command: list[str]) -> list[str]:
    """``command`` wrapped to run where the system's espeak-ng cannot be found."""
    files, dirs = system_espeak_paths()
    mounts = [f"mount --bind /dev/null {shlex.quote(f)}" for f in files]
    mounts += [f"mount -t tmpfs none {shlex.quote(d)}" for d in dirs]
    script = "set -e; " + "; ".join([*mounts, 'exec "$@"'])
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *command]
