"""The kit's on-disk outbox: every outgoing message is stored here before it is published.

docs/domain.md, "Digital twin conventions": kits buffer on disk while offline and replay
oldest first. A message is a row (id ascending = production order) holding topic and
payload; it is deleted only once the broker has acknowledged it (PUBACK). The spool is
bounded: when full, the oldest rows are dropped, counted (persistently) and logged.

``seq`` counters live in the same file so they keep increasing across restarts. They are
handed out from blocks reserved with a durable (``synchronous=FULL``) write, so a power
cut can only skip numbers, never repeat one; a clean ``close`` returns the unused rest
of the block. Single-threaded: use one ``Spool`` from one thread.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

SEQ_BLOCK: Final = 1_000
# While the spool stays full, repeat the "dropped" log line at most this often.
DROP_LOG_INTERVAL_S: Final = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    id: int
    topic: str
    payload: bytes
    created: float


class Spool:
    """A bounded, persistent FIFO of outgoing MQTT messages plus persistent counters."""

    def __init__(
        self,
        path: str | Path,
        max_messages: int = 100_000,
        *,
        synchronous: str = "NORMAL",
        seq_block: int = SEQ_BLOCK,
    ) -> None:
        if max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        if synchronous.upper() not in ("NORMAL", "FULL"):
            raise ValueError("synchronous must be NORMAL or FULL")
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_messages = max_messages
        self._seq_block = seq_block
        self._sync = synchronous.upper()
        self._conn = sqlite3.connect(str(path), isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={self._sync}")
        self._conn.executescript(_SCHEMA)
        row = self._conn.execute("SELECT COUNT(*) FROM spool").fetchone()
        self._count = int(row[0])
        self._dropped = self._meta("dropped")
        self._next: dict[str, int] = {}
        self._limit: dict[str, int] = {}
        self._last_drop_log = -DROP_LOG_INTERVAL_S

    # ---- messages ----------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    @property
    def dropped(self) -> int:
        """Messages dropped because the spool was full, over the spool file's lifetime."""
        return self._dropped

    def put(self, topic: str, payload: bytes, created: float | None = None) -> int:
        """Store a message; drop the oldest first when full. Returns the new row id."""
        excess = self._count + 1 - self.max_messages
        with self._conn:
            self._conn.execute("BEGIN")
            if excess > 0:
                self._conn.execute(
                    "DELETE FROM spool WHERE id IN (SELECT id FROM spool ORDER BY id LIMIT ?)",
                    (excess,),
                )
                self._dropped += excess
                self._set_meta("dropped", self._dropped)
            cursor = self._conn.execute(
                "INSERT INTO spool (topic, payload, created) VALUES (?, ?, ?)",
                (topic, payload, time.time() if created is None else created),
            )
        if excess > 0:
            self._count -= excess
            self._log_drop(excess)
        self._count += 1
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _log_drop(self, excess: int) -> None:
        now = time.monotonic()
        if now - self._last_drop_log >= DROP_LOG_INTERVAL_S:
            self._last_drop_log = now
            log.warning(
                "spool full (%d messages): dropped the %d oldest; %d dropped in total",
                self.max_messages,
                excess,
                self._dropped,
            )

    def after(self, after_id: int, limit: int) -> list[SpoolEntry]:
        """Up to ``limit`` messages with id > ``after_id``, oldest first."""
        rows = self._conn.execute(
            "SELECT id, topic, payload, created FROM spool WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        ).fetchall()
        return [SpoolEntry(int(i), str(t), bytes(p), float(c)) for i, t, p, c in rows]

    def oldest(self, limit: int) -> list[SpoolEntry]:
        return self.after(0, limit)

    def delete(self, ids: Iterable[int]) -> int:
        """Delete acknowledged messages (ids already gone are ignored); returns how many."""
        batch = [(i,) for i in ids]
        if not batch:
            return 0
        with self._conn:
            self._conn.execute("BEGIN")
            before = self._conn.total_changes
            self._conn.executemany("DELETE FROM spool WHERE id = ?", batch)
            deleted = self._conn.total_changes - before
        self._count -= deleted
        return deleted

    # ---- persistent counters -----------------------------------------------------------

    def next_seq(self, name: str) -> int:
        """The next number of counter ``name`` (1, 2, …), never repeated across restarts."""
        if name not in self._next:
            self._next[name] = self._limit[name] = max(1, self._meta(f"seq:{name}"))
        if self._next[name] >= self._limit[name]:
            self._limit[name] = self._next[name] + self._seq_block
            self._durable_set(f"seq:{name}", self._limit[name])
        value = self._next[name]
        self._next[name] += 1
        return value

    def _meta(self, key: str) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _set_meta(self, key: str, value: int) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _durable_set(self, key: str, value: int) -> None:
        self._conn.execute("PRAGMA synchronous=FULL")
        try:
            with self._conn:
                self._conn.execute("BEGIN")
                self._set_meta(key, value)
        finally:
            self._conn.execute(f"PRAGMA synchronous={self._sync}")

    def close(self) -> None:
        """Return unused reserved numbers (no gap after a clean restart) and close."""
        for name, value in self._next.items():
            self._durable_set(f"seq:{name}", value)
        self._next.clear()
        self._conn.close()
