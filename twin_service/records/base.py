"""The records interface (``RecordsStore``) and the values that cross it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from twin_service.auth.revocations import Revocation

SessionState = Literal["running", "finished", "interrupted"]
JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ProfileWrite:
    learner_id: str
    profile: JsonObject
    updated_at: float


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session's record (written whole: the newest write wins)."""

    session_id: str
    learner_id: str
    lab: str
    kit: str
    scenario: str
    state: SessionState
    owner: str
    created_at: float
    token_digest: bytes
    profile: JsonObject
    finished_at: float | None = None
    score: JsonObject | None = None
    report: JsonObject | None = None

    def listing(self) -> JsonObject:
        """The entry of ``GET /api/v1/learners/{id}/sessions``."""
        return {
            "session_id": self.session_id,
            "scenario": self.scenario,
            "lab": self.lab,
            "kit": self.kit,
            "state": self.state,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "score": self.score,
        }


@dataclass(frozen=True, slots=True)
class EventRow:
    """One happening of a session; ``seq`` counts from 1 within the session."""

    session_id: str
    seq: int
    ts: float
    kind: str
    data: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {"seq": self.seq, "ts": self.ts, "kind": self.kind, **self.data}


@dataclass(frozen=True, slots=True)
class OutboxWrite:
    statement_id: str
    statement: str  # JSON text
    created_at: float


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    statement_id: str
    statement: str
    attempts: int


Write = ProfileWrite | SessionRow | EventRow | OutboxWrite | Revocation


class RecordsStore(Protocol):
    """Where learning records live. Every method raises ``RecordsUnavailableError`` when
    the database cannot be reached; ``write`` is all-or-nothing and idempotent (an event or
    statement written twice is kept once; a profile or session row: the newest wins)."""

    async def open(self) -> None:
        """Connect and bring the schema to the newest migration."""

    async def close(self) -> None: ...

    async def write(self, batch: Sequence[Write]) -> None: ...

    async def check(self) -> bool:
        """Whether the database answers now (for ``/readyz``)."""

    async def profile(self, learner_id: str) -> JsonObject | None: ...

    async def session(self, session_id: str) -> SessionRow | None: ...

    async def sessions_of(self, learner_id: str, limit: int) -> list[SessionRow]: ...

    async def events(self, session_id: str, limit: int) -> list[EventRow]:
        """The session's events in time order (``ts``, then ``seq``)."""

    async def last_seq(self, session_id: str) -> int: ...

    async def interrupt_running(self, owner: str, now: float) -> list[str]:
        """Mark ``owner``'s running sessions interrupted (with an event each); their ids."""

    async def revocations(self, now: float, grace_s: float) -> list[Revocation]:
        """The revoked learner tokens still worth keeping, each with its session's
        ``finished_at``; first deletes those whose session finished more than ``grace_s``
        before ``now`` (the token has expired by itself)."""

    async def outbox_due(self, now: float, limit: int) -> list[OutboxItem]: ...

    async def outbox_done(self, ids: Sequence[int], now: float) -> None: ...

    async def outbox_retry(
        self, ids: Sequence[int], next_attempt_at: float, error: str
    ) -> None: ...

    async def outbox_counts(self) -> tuple[int, int]:
        """(statements waiting, statements sent)."""
