"""The collector's young-generation threshold (``ACCESSTWIN_GC_YOUNG_THRESHOLD``)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from twin_service.errors import SettingsError
from twin_service.runtime import Runtime, tune_young_generation
from twin_service.settings import Settings, load_settings
from twin_service.store.memory import MemoryStore

TOKEN = "a-sufficiently-long-token"


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_the_young_generation_waits_for_the_setting_and_the_others_keep_theirs(
    thresholds: tuple[int, int, int],
) -> None:
    settings = load_settings({"ACCESSTWIN_API_TOKEN": TOKEN})
    assert settings.gc_young_threshold == 50_000
    tune_young_generation(settings.gc_young_threshold)
    assert gc.get_threshold() == (50_000, thresholds[1], thresholds[2])


def test_zero_is_pythons_own_threshold_even_after_another_runtime_tuned_it(
    thresholds: tuple[int, int, int],
) -> None:
    tune_young_generation(50_000)
    settings = load_settings({"ACCESSTWIN_API_TOKEN": TOKEN, "ACCESSTWIN_GC_YOUNG_THRESHOLD": "0"})
    tune_young_generation(settings.gc_young_threshold)
    assert gc.get_threshold() == (700, thresholds[1], thresholds[2])


@pytest.mark.parametrize("raw", ["5", "699", "1000001", "-1", "many"])
def test_a_threshold_out_of_range_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError, match="ACCESSTWIN_GC_YOUNG_THRESHOLD"):
        load_settings({"ACCESSTWIN_API_TOKEN": TOKEN, "ACCESSTWIN_GC_YOUNG_THRESHOLD": raw})


async def test_a_started_runtime_has_tuned_the_young_generation(
    thresholds: tuple[int, int, int], tmp_path: Path
) -> None:
    settings = Settings(
        mqtt_url="mqtt://127.0.0.1:9",  # nobody there: the client only retries
        store="memory://",
        records=f"sqlite:///{tmp_path / 'records.db'}",
        insecure_no_auth=True,
        gc_young_threshold=12_345,
    )
    runtime = Runtime(settings, store=MemoryStore())
    await runtime.start()
    try:
        assert gc.get_threshold()[0] == 12_345
    finally:
        with contextlib.suppress(TimeoutError):
            await runtime.stop(drain_timeout=1.0)
        gc.unfreeze()  # what start() froze: this test process goes on
