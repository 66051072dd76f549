"""Several processes (partitioned gateways) open one new SQLite store at the same moment."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from multiprocessing.synchronize import Barrier
from pathlib import Path

from twin_service.store.sqlite import SqliteStore

PROCESSES = 6


def open_and_close(path: str, start: Barrier) -> None:
    async def run() -> None:
        store = SqliteStore(Path(path))
        start.wait()
        await store.open()
        await store.close()

    asyncio.run(run())


def test_processes_opening_one_new_file_at_once_all_succeed(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    for attempt in range(3):
        start = ctx.Barrier(PROCESSES)
        path = str(tmp_path / f"shared-{attempt}.db")
        procs = [ctx.Process(target=open_and_close, args=(path, start)) for _ in range(PROCESSES)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
        assert [proc.exitcode for proc in procs] == [0] * PROCESSES
