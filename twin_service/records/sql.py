"""``SqlRecords``: the records on SQLite or PostgreSQL through SQLAlchemy Core.

Calls run in worker threads on a synchronous engine, so the event loop never waits on
the database: for SQLite one thread takes every call in turn (one writer is all SQLite
has; an in-memory database is one shared connection), for PostgreSQL a small pool. A
SQLite file runs in WAL mode with ``synchronous=NORMAL``: a committed transaction
survives the process being killed. The schema is brought to the newest migration on the
first call (``open`` does it at start-up).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, delete, event, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from twin_service.auth.revocations import Revocation
from twin_service.records import migrate
from twin_service.records.base import (
    EventRow,
    JsonObject,
    OutboxItem,
    OutboxWrite,
    ProfileWrite,
    SessionRow,
    Write,
)
from twin_service.records.errors import RecordsUnavailableError
from twin_service.records.schema import (
    events,
    profiles,
    revoked_learner_tokens,
    sessions,
    xapi_outbox,
)
from twin_service.records.url import MEMORY_URL, redact, sqlalchemy_url

log = logging.getLogger(__name__)
T = TypeVar("T")
CONNECT_TIMEOUT_S = 5


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    target = sqlalchemy_url(url)
    if url == MEMORY_URL:
        return create_engine(
            target, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    if target.startswith("sqlite"):
        engine = create_engine(target, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        target,
        pool_pre_ping=True,
        pool_size=4,
        max_overflow=4,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )


class SqlRecords:
    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._migrated = False
        self._executor = (
            ThreadPoolExecutor(1, thread_name_prefix="records")
            if url.startswith("sqlite")
            else None
        )

    def __repr__(self) -> str:
        return f"SqlRecords({redact(self.url)!r})"

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    def _run(self, fn: Callable[[Connection], T], *, write: bool = False) -> T:
        if self._engine is None:
            self._engine = make_engine(self.url)
        try:
            if not self._migrated:
                with self._engine.connect() as conn:
                    migrate.upgrade(conn)
                self._migrated = True
            with self._engine.connect() as conn:
                result = fn(conn)
                if write:
                    conn.commit()
                return result
        except SQLAlchemyError as exc:
            raise RecordsUnavailableError(
                f"records database {redact(self.url)}: {str(exc).splitlines()[0]}"
            ) from exc

    async def _call(self, fn: Callable[[Connection], T], *, write: bool = False) -> T:
        call = functools.partial(self._run, fn, write=write)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def open(self) -> None:
        await self._call(lambda c: None)  # connects, and migrates on the first call

    async def close(self) -> None:
        if self._engine is not None and self.url != MEMORY_URL:
            self._engine.dispose()
            self._engine = None
            self._migrated = False

    async def check(self) -> bool:
        try:
            await self._call(lambda c: c.execute(text("SELECT 1")).scalar())
        except RecordsUnavailableError:
            return False
        return True

    # ---- writing ----------------------------------------------------------------------

    async def write(self, batch: Sequence[Write]) -> None:
        if batch:
            await self._call(lambda c: self._write(c, batch), write=True)

    def _insert(self, table: Any) -> Any:
        return (sqlite if self.dialect == "sqlite" else postgresql).insert(table)

    def _write(self, conn: Connection, batch: Sequence[Write]) -> None:
        profile_rows: dict[str, JsonObject] = {}
        session_rows: dict[str, JsonObject] = {}
        event_rows: list[JsonObject] = []
        outbox_rows: list[JsonObject] = []
        revoked_rows: list[JsonObject] = []
        for item in batch:  # within a batch, the newest write of a row wins
            if isinstance(item, EventRow):
                event_rows.append(
                    {
                        "session_id": item.session_id,
                        "seq": item.seq,
                        "ts": item.ts,
                        "kind": item.kind,
                        "data": item.data,
                    }
                )
            elif isinstance(item, SessionRow):
                session_rows[item.session_id] = _session_values(item)
            elif isinstance(item, ProfileWrite):
                profile_rows[item.learner_id] = {
                    "learner_id": item.learner_id,
                    "profile": item.profile,
                    "updated_at": item.updated_at,
                }
            elif isinstance(item, OutboxWrite):
                outbox_rows.append(
                    {
                        "statement_id": item.statement_id,
                        "statement": item.statement,
                        "created_at": item.created_at,
                        "attempts": 0,
                        "next_attempt_at": item.created_at,
                    }
                )
            elif isinstance(item, Revocation):
                revoked_rows.append(
                    {
                        "token_digest": item.token_digest,
                        "session_id": item.session_id,
                        "revoked_at": item.revoked_at,
                    }
                )
        if profile_rows:
            stmt = self._insert(profiles)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["learner_id"],
                    set_={"profile": stmt.excluded.profile, "updated_at": stmt.excluded.updated_at},
                ),
                list(profile_rows.values()),
            )
        if session_rows:
            stmt = self._insert(sessions)
            changing = ("state", "owner", "finished_at", "profile", "score", "report")
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["session_id"],
                    set_={name: getattr(stmt.excluded, name) for name in changing},
                ),
                list(session_rows.values()),
            )
        if event_rows:
            stmt = self._insert(events).on_conflict_do_nothing(index_elements=["session_id", "seq"])
            conn.execute(stmt, event_rows)
        if outbox_rows:
            stmt = self._insert(xapi_outbox).on_conflict_do_nothing(index_elements=["statement_id"])
            conn.execute(stmt, outbox_rows)
        if revoked_rows:
            table = revoked_learner_tokens
            stmt = self._insert(table).on_conflict_do_nothing(index_elements=["token_digest"])
            conn.execute(stmt, revoked_rows)

    # ---- reading ----------------------------------------------------------------------

    async def profile(self, learner_id: str) -> JsonObject | None:
        def read(conn: Connection) -> JsonObject | None:
            query = select(profiles.c.profile).where(profiles.c.learner_id == learner_id)
            value = conn.execute(query).scalar()
            return dict(value) if value is not None else None

        return await self._call(read)

    async def session(self, session_id: str) -> SessionRow | None:
        def read(conn: Connection) -> SessionRow | None:
            row = (
                conn.execute(select(sessions).where(sessions.c.session_id == session_id))
                .mappings()
                .first()
            )
            return _session_row(row) if row is not None else None

        return await self._call(read)

    async def sessions_of(self, learner_id: str, limit: int) -> list[SessionRow]:
        def read(conn: Connection) -> list[SessionRow]:
            query = (
                select(sessions)
                .where(sessions.c.learner_id == learner_id)
                .order_by(sessions.c.created_at.desc())
                .limit(limit)
            )
            return [_session_row(r) for r in conn.execute(query).mappings()]

        return await self._call(read)

    async def events(self, session_id: str, limit: int) -> list[EventRow]:
        def read(conn: Connection) -> list[EventRow]:
            query = (
                select(events.c.seq, events.c.ts, events.c.kind, events.c.data)
                .where(events.c.session_id == session_id)
                .order_by(events.c.seq)
                .limit(limit)
            )
            rows = [
                EventRow(session_id, r.seq, r.ts, r.kind, dict(r.data)) for r in conn.execute(query)
            ]
            return sorted(rows, key=lambda e: (e.ts, e.seq))

        return await self._call(read)

    async def last_seq(self, session_id: str) -> int:
        def read(conn: Connection) -> int:
            query = select(func.max(events.c.seq)).where(events.c.session_id == session_id)
            return int(conn.execute(query).scalar() or 0)

        return await self._call(read)

    async def interrupt_running(self, owner: str, now: float) -> list[str]:
        def change(conn: Connection) -> list[str]:
            ids = list(
                conn.execute(
                    select(sessions.c.session_id).where(
                        sessions.c.state == "running", sessions.c.owner == owner
                    )
                ).scalars()
            )
            for session_id in ids:
                seq = conn.execute(
                    select(func.max(events.c.seq)).where(events.c.session_id == session_id)
                ).scalar()
                conn.execute(
                    events.insert(),
                    {
                        "session_id": session_id,
                        "seq": int(seq or 0) + 1,
                        "ts": now,
                        "kind": "session.interrupted",
                        "data": {"reason": "the service stopped while the session ran"},
                    },
                )
                conn.execute(
                    update(sessions)
                    .where(sessions.c.session_id == session_id)
                    .values(state="interrupted")
                )
            return ids

        return await self._call(change, write=True)

    # ---- revoked learner tokens -------------------------------------------------------

    async def revocations(self, now: float, grace_s: float) -> list[Revocation]:
        revoked = revoked_learner_tokens

        def change(conn: Connection) -> list[Revocation]:
            expired = select(sessions.c.session_id).where(
                sessions.c.finished_at.is_not(None), sessions.c.finished_at < now - grace_s
            )
            conn.execute(delete(revoked).where(revoked.c.session_id.in_(expired)))
            query = select(
                revoked.c.token_digest,
                revoked.c.session_id,
                revoked.c.revoked_at,
                sessions.c.finished_at,
            ).select_from(
                revoked.outerjoin(sessions, revoked.c.session_id == sessions.c.session_id)
            )
            return [
                Revocation(bytes(r.token_digest), r.session_id, r.revoked_at, r.finished_at)
                for r in conn.execute(query)
            ]

        return await self._call(change, write=True)

    # ---- xAPI outbox ------------------------------------------------------------------

    async def outbox_due(self, now: float, limit: int) -> list[OutboxItem]:
        def read(conn: Connection) -> list[OutboxItem]:
            query = (
                select(
                    xapi_outbox.c.id,
                    xapi_outbox.c.statement_id,
                    xapi_outbox.c.statement,
                    xapi_outbox.c.attempts,
                )
                .where(xapi_outbox.c.sent_at.is_(None), xapi_outbox.c.next_attempt_at <= now)
                .order_by(xapi_outbox.c.id)
                .limit(limit)
            )
            return [
                OutboxItem(r.id, r.statement_id, r.statement, r.attempts)
                for r in conn.execute(query)
            ]

        return await self._call(read)

    async def outbox_done(self, ids: Sequence[int], now: float) -> None:
        await self._call(
            lambda c: c.execute(
                update(xapi_outbox).where(xapi_outbox.c.id.in_(list(ids))).values(sent_at=now)
            ),
            write=True,
        )

    async def outbox_retry(self, ids: Sequence[int], next_attempt_at: float, error: str) -> None:
        await self._call(
            lambda c: c.execute(
                update(xapi_outbox)
                .where(xapi_outbox.c.id.in_(list(ids)))
                .values(
                    attempts=xapi_outbox.c.attempts + 1,
                    next_attempt_at=next_attempt_at,
                    last_error=error[:500],
                )
            ),
            write=True,
        )

    async def outbox_counts(self) -> tuple[int, int]:
        def read(conn: Connection) -> tuple[int, int]:
            waiting = conn.execute(
                select(func.count()).select_from(xapi_outbox).where(xapi_outbox.c.sent_at.is_(None))
            ).scalar()
            sent = conn.execute(
                select(func.count())
                .select_from(xapi_outbox)
                .where(xapi_outbox.c.sent_at.is_not(None))
            ).scalar()
            return int(waiting or 0), int(sent or 0)

        return await self._call(read)


def _session_values(row: SessionRow) -> JsonObject:
    return {
        "session_id": row.session_id,
        "learner_id": row.learner_id,
        "lab": row.lab,
        "kit": row.kit,
        "scenario": row.scenario,
        "state": row.state,
        "owner": row.owner,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
        "token_digest": row.token_digest,
        "profile": row.profile,
        "score": row.score,
        "report": row.report,
    }


def _session_row(row: Any) -> SessionRow:
    return SessionRow(
        session_id=row["session_id"],
        learner_id=row["learner_id"],
        lab=row["lab"],
        kit=row["kit"],
        scenario=row["scenario"],
        state=row["state"],
        owner=row["owner"],
        created_at=row["created_at"],
        token_digest=bytes(row["token_digest"]),
        profile=dict(row["profile"]),
        finished_at=row["finished_at"],
        score=row["score"],
        report=row["report"],
    )
