"""SQLite history store: WAL mode, batched transactions, writes on the event loop.

A batch of messages is committed in one transaction, by the event loop's own thread:
a commit of a few hundred small messages takes about a millisecond of CPU, less than
handing it to a thread and winning the GIL back from the busy loop after each of its
statements (BENCHMARKS.md, issue 18). Only when another process holds the write lock
(partitioned gateways sharing one file) does the batch go to the writer thread, which
waits for the lock there (``busy_timeout``) instead of blocking the loop. Checkpoints,
the part of WAL that writes the database file and syncs it, run on the reader thread
(``wal_autocheckpoint`` is off on the writer). History reads use that second
connection, so a long read never delays a write (WAL lets readers and the writer run
at once). A message's ``seq`` is recorded in the same transaction as its points, so a
message redelivered after a crash is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from gateway.identifiers import KitRef
from twin_service.errors import StoreError
from twin_service.store.base import AppliedMessage, BucketWidth, StoredValue

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    lab TEXT NOT NULL, kit TEXT NOT NULL, sensor TEXT NOT NULL,
    ts REAL NOT NULL, value REAL NOT NULL, received_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_by_sensor_ts ON samples (lab, kit, sensor, ts);
CREATE TABLE IF NOT EXISTS applied_seq (
    lab TEXT NOT NULL, kit TEXT NOT NULL, seq INTEGER NOT NULL, received_at REAL NOT NULL,
    PRIMARY KEY (lab, kit, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    lab TEXT NOT NULL, kit TEXT NOT NULL, sensor TEXT NOT NULL,
    ts0 REAL NOT NULL, ts_end REAL NOT NULL, rate_hz REAL NOT NULL,
    samples BLOB NOT NULL, received_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_sensor_end ON chunks (lab, kit, sensor, ts_end);
"""
# Waveform samples are stored as one row per chunk (little-endian float64 array):
# a 50 Hz kit sends 0.2 s chunks, so this is 10x fewer rows than one per sample.
_SAMPLE = np.dtype("<f8")


def _pack(samples: Sequence[float]) -> bytes:
    return np.asarray(samples, dtype=_SAMPLE).tobytes()


def _unpack(blob: bytes) -> npt.NDArray[np.float64]:
    return np.frombuffer(blob, dtype=_SAMPLE).astype(np.float64)


ROWS_PER_STATEMENT = 500
BUSY_TIMEOUT_MS = 5_000  # on the writer thread, waiting for another process's lock
CHECKPOINT_EVERY_S = 1.0  # at most this often, on the reader thread, after writes


def _insert_rows(
    conn: sqlite3.Connection,
    table: str,
    width: int,
    rows: list[tuple[Any, ...]],
    verb: str = "INSERT",
) -> None:
    """Multi-row INSERTs: one statement step per 500 rows, not one per row. (Each step
    lets go of the GIL and must win it back from the busy event loop.)"""
    one = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        part = rows[start : start + ROWS_PER_STATEMENT]
        values = ", ".join([one] * len(part))
        flat = [value for row in part for value in row]
        conn.execute(f"{verb} INTO {table} VALUES {values}", flat)  # fixed names


def _stored_seqs(
    conn: sqlite3.Connection, messages: Sequence[AppliedMessage]
) -> set[tuple[str, str, int]]:
    """Which of these messages' (lab, kit, seq) are already stored.

    One query per kit, ``seq IN (...)`` on the primary key: a row-value
    ``(lab, kit, seq) IN (VALUES ...)`` is not matched against the index by SQLite
    (3.40 scans the whole table for it), which made every commit slower than the last.
    """
    by_kit: dict[tuple[str, str], list[int]] = defaultdict(list)
    for m in messages:
        if m.seq is not None:
            by_kit[(m.lab, m.kit)].append(m.seq)
    found: set[tuple[str, str, int]] = set()
    for (lab, kit), seqs in by_kit.items():
        for start in range(0, len(seqs), ROWS_PER_STATEMENT):
            part = seqs[start : start + ROWS_PER_STATEMENT]
            query = (
                "SELECT seq FROM applied_seq WHERE lab = ? AND kit = ?"  # noqa: S608
                f" AND seq IN ({', '.join('?' * len(part))})"
            )
            found.update((lab, kit, seq) for (seq,) in conn.execute(query, [lab, kit, *part]))
    return found


def _not_stored(
    conn: sqlite3.Connection, messages: Sequence[AppliedMessage]
) -> list[AppliedMessage]:
    """The messages to store: not stored before, each ``(lab, kit, seq)`` once."""
    stored = _stored_seqs(conn, messages)
    out: list[AppliedMessage] = []
    for message in messages:
        if message.seq is not None:
            key = (message.lab, message.kit, message.seq)
            if key in stored:
                continue  # stored before: a redelivery after a crash
            stored.add(key)
        out.append(message)
    return out


def _add_chunk_buckets(
    conn: sqlite3.Connection,
    buckets: dict[int, list[float]],
    kit: KitRef,
    sensor: str,
    low: float,
    high: float,
    every: BucketWidth,
    limit: int,
) -> None:
    """Add the waveform samples in [low, high] to ``buckets`` ({bucket: [sum, count]}).

    Chunks are packed arrays, so they are unpacked here rather than grouped in SQL.
    They come newest ``ts_end`` first; once ``limit`` buckets are known, a chunk that
    ends before the oldest of the newest ``limit`` cannot change the answer, nor can
    any chunk after it.
    """
    cutoff: int | None = None
    chunks = conn.execute(
        "SELECT ts0, rate_hz, samples FROM chunks WHERE lab = ? AND kit = ? AND sensor = ?"
        " AND ts_end >= ? AND ts0 <= ? ORDER BY ts_end DESC",
        (kit.lab, kit.kit, sensor, low, high),
    )
    for ts0, rate_hz, blob in chunks:
        values = _unpack(blob)
        times = ts0 + np.arange(values.size) / rate_hz
        if cutoff is not None and every.key(float(times[-1])) < cutoff:
            break
        inside = (times >= low) & (times <= high)
        keys = np.floor(times[inside] / every.seconds).astype(np.int64)
        if keys.size == 0:
            continue
        firsts = np.flatnonzero(np.diff(keys, prepend=keys[0] - 1))  # keys ascend in a chunk
        sums = np.add.reduceat(values[inside], firsts)
        counts = np.diff(np.append(firsts, keys.size))
        grew = False
        for key, total, count in zip(
            keys[firsts].tolist(), sums.tolist(), counts.tolist(), strict=True
        ):
            known = buckets.get(key)
            if known is None:
                buckets[key] = [total, float(count)]
                grew = True
            else:
                known[0] += total
                known[1] += count
        if grew and len(buckets) >= limit:
            cutoff = heapq.nlargest(limit, buckets)[-1]


def _switch_to_wal(conn: sqlite3.Connection, attempts: int = 50) -> None:
    """``journal_mode=WAL``, retried: on a new file another process may hold the lock
    while it does the same, and the switch does not always wait on the busy timeout."""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._reader_pool = ThreadPoolExecutor(1, thread_name_prefix="sqlite-reader")
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        # One user of the writer connection at a time: inline writes and the thread's.
        self._writer_busy = False
        self._writer_lock = asyncio.Lock()
        self._checkpoint: asyncio.Future[None] | None = None
        self._checkpointed_at = 0.0
        self.inline_writes = 0  # batches committed on the loop (the rest: writer thread)

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    async def _on_writer(self, func: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            conn = self._writer
            if conn is None:
                raise StoreError("store is not open")
            try:
                conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                try:
                    return func(conn)
                finally:
                    conn.execute("PRAGMA busy_timeout=0")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.rollback()
                raise StoreError(f"SQLite {self.path}: {exc}") from exc

        async with self._writer_lock:
            self._writer_busy = True
            try:
                return await asyncio.get_running_loop().run_in_executor(self._writer_pool, call)
            finally:
                self._writer_busy = False

    def _inline(self, func: Callable[[sqlite3.Connection], T]) -> T | None:
        """``func`` in one ``BEGIN IMMEDIATE`` transaction on the loop's thread, or None
        when the writer is in use or another process holds the write lock (no waiting)."""
        conn = self._writer
        if conn is None:
            raise StoreError("store is not open")
        if self._writer_busy or self._writer_lock.locked():
            return None
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return None
            raise StoreError(f"SQLite {self.path}: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite {self.path}: {exc}") from exc
        try:
            result = func(conn)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.rollback()
            raise StoreError(f"SQLite {self.path}: {exc}") from exc
        self.inline_writes += 1
        self._maybe_checkpoint()
        return result

    def _maybe_checkpoint(self) -> None:
        """Copy the WAL into the database file on the reader thread, once a second at most."""
        now = time.monotonic()
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        if now - self._checkpointed_at < CHECKPOINT_EVERY_S:
            return
        self._checkpointed_at = now

        def checkpoint() -> None:
            if self._reader is not None:
                # A failed one is caught up by the next; SQLite's own is off on the writer.
                with contextlib.suppress(sqlite3.Error):
                    self._reader.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

        self._checkpoint = asyncio.get_running_loop().run_in_executor(self._reader_pool, checkpoint)

    async def _on_reader(self, func: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            if self._reader is None:
                raise StoreError("store is not open")
            try:
                return func(self._reader)
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite {self.path}: {exc}") from exc

        return await asyncio.get_running_loop().run_in_executor(self._reader_pool, call)

    async def open(self) -> None:
        def open_writer() -> sqlite3.Connection:
            if self.path.parent and not self.path.parent.exists():
                raise StoreError(f"SQLite directory {self.path.parent} does not exist")
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            # Wait for other writers first: partitioned gateways open one file together.
            conn.execute("PRAGMA busy_timeout=5000")
            _switch_to_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            # No waiting on the loop (see _inline) and no checkpoint there (_maybe_checkpoint).
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute("PRAGMA wal_autocheckpoint=0")
            return conn

        def open_reader() -> sqlite3.Connection:
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=5000")
            return conn

        loop = asyncio.get_running_loop()
        try:
            self._writer = await loop.run_in_executor(self._writer_pool, open_writer)
            self._reader = await loop.run_in_executor(self._reader_pool, open_reader)
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite {self.path}: {exc}") from exc

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        if self._checkpoint is not None:
            await asyncio.wait([self._checkpoint])
        if self._writer is not None:
            await loop.run_in_executor(self._writer_pool, self._writer.close)
            self._writer = None
        if self._reader is not None:
            await loop.run_in_executor(self._reader_pool, self._reader.close)
            self._reader = None
        self._writer_pool.shutdown(wait=True)
        self._reader_pool.shutdown(wait=True)

    async def write(self, messages: Sequence[AppliedMessage]) -> int:
        def write(conn: sqlite3.Connection) -> int:
            # The usual batch holds no message stored before: record every seq with
            # INSERT OR IGNORE and, if SQLite added as many rows as there are seqs, keep
            # everything. Otherwise undo that and look the stored ones up (_stored_seqs).
            seq_rows = [(m.lab, m.kit, m.seq, m.received_at) for m in messages if m.seq is not None]
            conn.execute("SAVEPOINT seqs")
            before = conn.total_changes
            _insert_rows(conn, "applied_seq", 4, seq_rows, "INSERT OR IGNORE")
            fresh: Sequence[AppliedMessage] = messages
            if conn.total_changes - before != len(seq_rows):
                conn.execute("ROLLBACK TO seqs")
                fresh = _not_stored(conn, messages)
                _insert_rows(
                    conn,
                    "applied_seq",
                    4,
                    [(m.lab, m.kit, m.seq, m.received_at) for m in fresh if m.seq is not None],
                )
            conn.execute("RELEASE seqs")
            rows: list[tuple[Any, ...]] = []
            chunk_rows: list[tuple[Any, ...]] = []
            written = 0
            for message in fresh:
                rows.extend(message.points)
                chunk_rows.extend(
                    (message.lab, message.kit, c.sensor, c.ts0, c.ts_end, c.rate_hz,
                     _pack(c.samples), message.received_at)
                    for c in message.chunks
                )  # fmt: skip
                written += message.point_count
            _insert_rows(conn, "samples", 6, rows)
            _insert_rows(conn, "chunks", 8, chunk_rows)
            return written

        done = self._inline(write)
        if done is not None:
            return done

        def locked_write(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN IMMEDIATE")
            written = write(conn)
            conn.execute("COMMIT")
            return written

        return await self._on_writer(locked_write)

    async def history(
        self, kit: KitRef, sensor: str, start: float | None, end: float | None, limit: int
    ) -> list[tuple[float, float]]:
        low = start if start is not None else float("-inf")
        high = end if end is not None else float("inf")

        def query(conn: sqlite3.Connection) -> list[tuple[float, float]]:
            rows = conn.execute(
                "SELECT ts, value FROM samples WHERE lab = ? AND kit = ? AND sensor = ?"
                " AND ts >= ? AND ts <= ? ORDER BY ts DESC LIMIT ?",
                (kit.lab, kit.kit, sensor, low, high, limit),
            ).fetchall()
            points = [(float(ts), float(value)) for ts, value in rows]
            chunks = conn.execute(
                "SELECT ts0, rate_hz, samples FROM chunks WHERE lab = ? AND kit = ? AND sensor = ?"
                " AND ts_end >= ? AND ts0 <= ? ORDER BY ts_end DESC",
                (kit.lab, kit.kit, sensor, low, high),
            )
            from_chunks = 0
            for ts0, rate_hz, blob in chunks:
                values = _unpack(blob)
                times = ts0 + np.arange(values.size) / rate_hz
                inside = (times >= low) & (times <= high)
                points.extend(zip(times[inside].tolist(), values[inside].tolist(), strict=True))
                from_chunks += int(inside.sum())
                if from_chunks >= limit:
                    break  # chunks come newest first: older ones cannot make the cut
            points.sort()
            return points[-limit:]

        return await self._on_reader(query)

    async def history_means(
        self,
        kit: KitRef,
        sensor: str,
        start: float | None,
        end: float | None,
        every: BucketWidth,
        limit: int,
    ) -> list[tuple[float, float]]:
        low = start if start is not None else float("-inf")
        high = end if end is not None else float("inf")
        if limit <= 0:
            return []

        def query(conn: sqlite3.Connection) -> list[tuple[float, float]]:
            # Readings: sum and count per bucket in SQL, so they can be merged with the
            # waveform chunks' below. floor(x) written as CAST(x) - (x < CAST(x)), which
            # needs no SQLite math functions (not every build has floor()).
            buckets: dict[int, list[float]] = {
                int(key): [float(total), float(count)]
                for key, total, count in conn.execute(
                    "SELECT CAST(x AS INTEGER) - (x < CAST(x AS INTEGER)) AS bucket,"
                    " SUM(value), COUNT(*)"
                    " FROM (SELECT ts / ? AS x, value FROM samples"
                    " WHERE lab = ? AND kit = ? AND sensor = ? AND ts >= ? AND ts <= ?)"
                    " GROUP BY bucket ORDER BY bucket DESC LIMIT ?",
                    (every.seconds, kit.lab, kit.kit, sensor, low, high, limit),
                )
            }
            _add_chunk_buckets(conn, buckets, kit, sensor, low, high, every, limit)
            newest = sorted(buckets)[-limit:]
            return [(every.start(key), buckets[key][0] / buckets[key][1]) for key in newest]

        return await self._on_reader(query)

    async def latest_values(self) -> list[StoredValue]:
        def query(conn: sqlite3.Connection) -> list[StoredValue]:
            # SQLite returns the other columns of the row holding MAX(ts).
            rows = conn.execute(
                "SELECT lab, kit, sensor, MAX(ts), value, received_at FROM samples"
                " GROUP BY lab, kit, sensor"
            ).fetchall()
            latest = {(r[0], r[1], r[2]): StoredValue(*r) for r in rows}
            for lab, kit, sensor, ts_end, blob, received_at in conn.execute(
                "SELECT lab, kit, sensor, MAX(ts_end), samples, received_at FROM chunks"
                " GROUP BY lab, kit, sensor"
            ):
                known = latest.get((lab, kit, sensor))
                if known is None or ts_end >= known.ts:
                    value = float(_unpack(blob)[-1])
                    latest[(lab, kit, sensor)] = StoredValue(
                        lab, kit, sensor, ts_end, value, received_at
                    )
            return list(latest.values())

        return await self._on_reader(query)

    async def recent_seqs(self, limit_per_kit: int) -> dict[KitRef, list[int]]:
        def query(conn: sqlite3.Connection) -> dict[KitRef, list[int]]:
            out: dict[KitRef, list[int]] = defaultdict(list)
            kits = conn.execute("SELECT DISTINCT lab, kit FROM applied_seq").fetchall()
            for lab, kit in kits:
                seqs = conn.execute(
                    "SELECT seq FROM applied_seq WHERE lab = ? AND kit = ?"
                    " ORDER BY received_at DESC, seq DESC LIMIT ?",
                    (lab, kit, limit_per_kit),
                ).fetchall()
                out[KitRef(lab, kit)] = [s for (s,) in reversed(seqs)]
            return dict(out)

        return await self._on_reader(query)

    async def check_writable(self) -> bool:
        def touch(conn: sqlite3.Connection) -> bool:
            conn.execute(
                "INSERT OR REPLACE INTO meta VALUES ('heartbeat', ?)", (repr(time.time()),)
            )
            return True

        try:
            return await self._on_writer(touch)
        except StoreError:
            return False

    async def prune(self, older_than_ts: float) -> int:
        def prune(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN")
            deleted = conn.execute("DELETE FROM samples WHERE ts < ?", (older_than_ts,)).rowcount
            conn.execute("DELETE FROM chunks WHERE ts_end < ?", (older_than_ts,))
            conn.execute("DELETE FROM applied_seq WHERE received_at < ?", (older_than_ts,))
            conn.execute("COMMIT")
            return int(deleted)

        return await self._on_writer(prune)
