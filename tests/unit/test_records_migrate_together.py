"""Partitioned gateways share one SQLite records file and start together: each process
migrates it on its first call. Found by the two-gateway ingest bench under parallel
tests: two found no ``alembic_version`` at once and the second one's CREATE failed."""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.synchronize import Event
from pathlib import Path

from sqlalchemy import create_engine, text

from twin_service.records import migrate


def _migrate(url: str, start: Event) -> None:
    engine = create_engine(url)
    start.wait()
    with engine.connect() as conn:
        migrate.upgrade(conn)


def test_processes_migrating_one_new_sqlite_file_together_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_migrate, args=(url, start)) for _ in range(4)]
    for p in procs:
        p.start()
    time.sleep(3)  # each child has its engine ready: they all go at once
    start.set()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]

    with create_engine(url).connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
