"""Parallel runs: pytest-xdist with ``-n N --dist loadfile`` (what scripts/test runs).

Each test file is one scope, run whole on one worker, so its module fixtures (a fresh
venv, one service, a 40 s CPR run) are made once. The files of ``TIMING_FILES`` share one
scope, ``timing``: they assert a latency or a real-time behaviour (or load the CPU as a
benchmark does), so they run one after another on one worker, never two at once. The
scopes that hold a ``slow`` or ``browser`` test are handed out first, so that a long file
does not start last and run alone at the end. CONTRIBUTING.md, "Tests in parallel".

(pytest-xdist's own ``--dist loadgroup`` and its ``xdist_group`` mark do not group with
pytest 9, whose nodes no longer take the ``@group`` suffix xdist writes; so the scopes are
named here, by file, in the scheduler.)
"""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Any

import pytest

TIMING = "timing"
TIMING_FILES = frozenset(
    {
        "tests/browser/test_learner_cues.py",  # metronome beats within 0.5 s of the clock
        "tests/browser/test_learner_monitor.py",  # vitals shown within 1 s of the publish
        "tests/integration/test_body_limit.py",  # 64 MiB refused within 1 s
        "tests/integration/test_speech.py",  # cache hit within 50 ms, hung worker killed
        "tests/integration/test_switch_practice.py",  # presses one reaction time late
        "tests/integration/test_cpr_learners.py",  # 40 s live, corrections every 15 s
        "tests/integration/test_demo.py",  # live data within 15 s of the start
        "tests/integration/test_bench_fanout.py",  # benchmarks: they load the CPU
        "tests/integration/test_bench_ingest.py",
    }
)


def scope_of(nodeid: str, timing: Collection[str] = TIMING_FILES) -> str:
    path = nodeid.split("::", 1)[0]
    return TIMING if path in timing else path


def make_scheduler(config: pytest.Config, log: Any, timing: Collection[str]) -> Any:
    from xdist.scheduler import LoadFileScheduling  # only where xdist runs

    class FileScheduling(LoadFileScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid, timing)

    return FileScheduling(config, log)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile``: by file, and the timing files as one scope."""
    if config.getvalue("dist") != "loadfile":
        return None
    return make_scheduler(config, log, TIMING_FILES)


def order_long_scopes_first(items: list[pytest.Item], timing: Collection[str]) -> None:
    def scope(item: pytest.Item) -> str:
        return scope_of(item.nodeid, timing)

    long = {
        scope(i) for i in items if i.get_closest_marker("slow") or i.get_closest_marker("browser")
    }
    items.sort(key=lambda item: scope(item) not in long)  # stable: the order within stays


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker: the long scopes first (the scheduler hands them out in the
    order the workers collected them)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        order_long_scopes_first(items, TIMING_FILES)
