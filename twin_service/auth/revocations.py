"""Revoked learner tokens: the in-memory list every admission asks, and its bound.

An instructor may revoke a session's learner token (``POST
/api/v1/sessions/{id}/learner-token/revoke``). The revocation is written to the records
(table ``revoked_learner_tokens``) before the answer and loaded back at start-up, so a
restart does not bring the token back. Admission never asks the database: it asks
:meth:`RevokedLearnerTokens.revoked`, a set lookup by token digest.

A learner token expires by itself ``learner_token_grace_s`` after its session finished;
from then on its revocation says nothing more and is dropped (here by :meth:`prune`, in
the records when they are loaded), so the list holds at most the revoked tokens that
would otherwise still be in force. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Revocation:
    """A revoked learner token: its digest, its session, when it was revoked, and when
    the session finished (None: not finished when last known)."""

    token_digest: bytes
    session_id: str
    revoked_at: float
    finished_at: float | None = None

    def expired(self, now: float, grace_s: float) -> bool:
        """Whether the token has expired by itself (its revocation is no longer needed)."""
        return self.finished_at is not None and now > self.finished_at + grace_s


class RevokedLearnerTokens:
    def __init__(self) -> None:
        self._by_digest: dict[bytes, Revocation] = {}
        self._digest_of: dict[str, bytes] = {}  # session id -> digest

    def __len__(self) -> int:
        return len(self._by_digest)

    def revoked(self, token_digest: bytes) -> bool:
        return token_digest in self._by_digest

    def add(self, revocation: Revocation) -> None:
        self._by_digest[revocation.token_digest] = revocation
        self._digest_of[revocation.session_id] = revocation.token_digest

    def load(self, revocations: Iterable[Revocation]) -> None:
        """What the records hold (at start-up)."""
        for revocation in revocations:
            self.add(revocation)

    def finished(self, session_id: str, finished_at: float) -> None:
        """The session finished: its revocation may be dropped after the grace."""
        known = self._digest_of.get(session_id)
        if known is not None:
            self._by_digest[known] = replace(self._by_digest[known], finished_at=finished_at)

    def prune(self, now: float, grace_s: float) -> int:
        """Drop the revocations of tokens that have expired; how many were dropped."""
        gone = [r for r in self._by_digest.values() if r.expired(now, grace_s)]
        for revocation in gone:
            del self._by_digest[revocation.token_digest]
            self._digest_of.pop(revocation.session_id, None)
        return len(gone)
