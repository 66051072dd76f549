"""The InfluxDB store's local SQLite file: applied ``seq`` numbers and the disk spool.

``applied_seq`` holds the (lab, kit, seq) of every message whose points are durable
(on the server, or in the spool), so a redelivered message is skipped and restarts can
rebuild the duplicate window. ``spool`` holds line-protocol request bodies accepted
while InfluxDB was away, replayed oldest first. Appending a batch to the spool and
recording its seqs is one transaction (``synchronous=FULL``): acked means on disk.
Not thread-safe: the store calls it from its single I/O thread only.

A warning is logged when the spool reaches 90 % of ``max_points`` (once per crossing:
it is re-armed only after the spool drains below 80 %, so a spool hovering around the
mark while it replays does not log every batch).
"""

from __future__ import annotations

import logging
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from gateway.identifiers import KitRef
from twin_service.errors import StoreError
from twin_service.store.base import AppliedMessage

log = logging.getLogger(__name__)

NEAR_FULL_PERCENT = 90  # warn when the spool reaches this share of max_points
REARM_PERCENT = 80  # ...and again only after it has drained below this share

_SCHEMA = """
CREATE TABLE IF NOT EXISTS applied_seq (
    lab TEXT NOT NULL, kit TEXT NOT NULL, seq INTEGER NOT NULL, received_at REAL NOT NULL,
    PRIMARY KEY (lab, kit, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT, points INTEGER NOT NULL, body BLOB NOT NULL
);
"""


class SpoolFullError(StoreError):
    """The spool holds its maximum number of points; the batch was not accepted."""


class Spool:
    def __init__(self, path: Path, max_points: int) -> None:
        self.path = path
        self.max_points = max_points
        self.points = 0  # points waiting in the spool (read by the event loop: an int)
        self.near_full = False  # reached NEAR_FULL_PERCENT, not drained below REARM_PERCENT
        self._conn: sqlite3.Connection | None = None

    def open(self) -> None:
        if not self.path.parent.exists():
            raise StoreError(f"InfluxDB spool directory {self.path.parent} does not exist")
        try:
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(_SCHEMA)
            (total,) = conn.execute("SELECT COALESCE(SUM(points), 0) FROM spool").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"InfluxDB spool {self.path}: {exc}") from exc
        self._conn, self.points = conn, int(total)
        self._check_level()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("InfluxDB store is not open")
        return self._conn

    def has_room(self, points: int) -> bool:
        return self.max_points > 0 and self.points + points <= self.max_points

    def new_messages(self, messages: Sequence[AppliedMessage]) -> list[AppliedMessage]:
        """The messages whose seq is not recorded yet (nor repeated earlier in the batch)."""
        seen: set[tuple[str, str, int]] = set()
        fresh = []
        for m in messages:
            if m.seq is not None:
                key = (m.lab, m.kit, m.seq)
                if (
                    key in seen
                    or self.conn.execute(
                        "SELECT 1 FROM applied_seq WHERE lab = ? AND kit = ? AND seq = ?", key
                    ).fetchone()
                ):
                    continue
                seen.add(key)
            fresh.append(m)
        return fresh

    def _insert_seqs(self, messages: Sequence[AppliedMessage]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO applied_seq VALUES (?, ?, ?, ?)",
            [(m.lab, m.kit, m.seq, m.received_at) for m in messages if m.seq is not None],
        )

    def record(self, messages: Sequence[AppliedMessage]) -> None:
        """Remember the seqs of messages now durable on the server."""
        self._transaction(lambda: self._insert_seqs(messages))

    def append(
        self, bodies: Sequence[tuple[int, bytes]], messages: Sequence[AppliedMessage]
    ) -> None:
        """Spool (points, body) request bodies and record the seqs, in one transaction."""
        count = sum(points for points, _ in bodies)
        if not self.has_room(count):
            raise SpoolFullError(
                f"InfluxDB spool {self.path} is full ({self.points} of {self.max_points} points)"
            )

        def insert() -> None:
            self.conn.executemany(
                "INSERT INTO spool (points, body) VALUES (?, ?)",
                [(points, zlib.compress(body, 1)) for points, body in bodies],
            )
            self._insert_seqs(messages)

        self._transaction(insert)
        self.points += count
        self._check_level()

    def oldest(self) -> tuple[int, int, bytes] | None:
        """(id, points, body) of the oldest spooled request, or None when empty."""
        row = self.conn.execute("SELECT id, points, body FROM spool ORDER BY id LIMIT 1").fetchone()
        return None if row is None else (int(row[0]), int(row[1]), zlib.decompress(row[2]))

    def remove(self, row_id: int, points: int) -> None:
        self._transaction(lambda: self.conn.execute("DELETE FROM spool WHERE id = ?", (row_id,)))
        self.points = max(0, self.points - points)
        self._check_level()

    def _check_level(self) -> None:
        """Log once when the spool reaches 90 % of its bound; re-arm below 80 %."""
        if self.max_points <= 0:
            return
        if not self.near_full and self.points * 100 >= self.max_points * NEAR_FULL_PERCENT:
            self.near_full = True
            log.warning(
                "InfluxDB spool %s is %d%% full (%d of %d points); when full, writes fail"
                " until InfluxDB is back",
                self.path, self.points * 100 // self.max_points, self.points, self.max_points,
            )  # fmt: skip
        elif self.near_full and self.points * 100 < self.max_points * REARM_PERCENT:
            self.near_full = False
            log.info(
                "InfluxDB spool %s back below %d%% (%d of %d points)",
                self.path, REARM_PERCENT, self.points, self.max_points,
            )  # fmt: skip

    def recent_seqs(self, limit_per_kit: int) -> dict[KitRef, list[int]]:
        out: dict[KitRef, list[int]] = defaultdict(list)
        for lab, kit in self.conn.execute("SELECT DISTINCT lab, kit FROM applied_seq"):
            rows = self.conn.execute(
                "SELECT seq FROM applied_seq WHERE lab = ? AND kit = ?"
                " ORDER BY received_at DESC, seq DESC LIMIT ?",
                (lab, kit, limit_per_kit),
            ).fetchall()
            out[KitRef(lab, kit)] = [s for (s,) in reversed(rows)]
        return dict(out)

    def forget_seqs(self, received_before: float) -> None:
        self._transaction(
            lambda: self.conn.execute(
                "DELETE FROM applied_seq WHERE received_at < ?", (received_before,)
            )
        )

    def _transaction(self, work: Callable[[], object]) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            work()
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.rollback()
            raise StoreError(f"InfluxDB spool {self.path}: {exc}") from exc
