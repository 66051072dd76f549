"""The real programs the tests talk to. A test whose program is missing is skipped on a
developer's machine, and fails when ``CI`` is set, so CI never passes by skipping.
``./scripts/test`` installs the programs (Debian packages) when it can."""

from __future__ import annotations

import os

import pytest


def require_program(what: str, available: bool, install: str) -> None:
    """Skip (or under ``CI`` fail) the calling test unless ``available``; ``install`` says
    how to get ``what``, e.g. ``"apt-get install espeak-ng"``."""
    if available:
        return
    message = f"{what} is not available ({install})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so a missing program fails", pytrace=False)
    pytest.skip(message)
