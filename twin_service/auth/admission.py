"""Admission: one rule deciding who a presented token is, for every door of the service.

REST routes, both websockets and the request guard (:mod:`twin_service.auth.guard`, which
refuses before a request body is read) all ask :class:`Admission`. A token is either an
instructor token (``ACCESSTWIN_API_TOKEN``), which opens everything, or the learner token
of one session, which opens only that session. The answer is a :class:`Principal` or a
:class:`Refusal` saying why; each refusal is counted against the caller's address by the
:class:`~twin_service.auth.tokens.FailureLimiter`, and an address that failed too often
is told so (``throttled``: HTTP 429, websocket close ``THROTTLED_CLOSE``). A valid token is
never refused for its address's failures. Pure: no I/O; the session lookup is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from twin_service.auth.report_links import ReportTickets
from twin_service.auth.tokens import FailureLimiter, InstructorTokens, matches

NO_VALID_BEARER = "missing or wrong bearer token"
NOT_YOUR_SESSION = "no such session for this token"  # also for a session that does not exist
TOO_MANY_FAILURES = "too many failed attempts"
# Websocket close code of a throttled refusal (private range 4000-4999): not 1008, so a
# page does not take it for "your token is wrong" and forget its token; it retries later.
THROTTLED_CLOSE = 4429

LearnerOpens = Callable[[str, str | None], bool]
"""Whether a token is the learner token of the session with this id."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who was admitted: the instructor, the learner of ``session_id``, or the bearer of
    a report link (that session's report only)."""

    role: Literal["instructor", "learner", "report"]
    session_id: str | None = None

    @property
    def is_instructor(self) -> bool:
        return self.role == "instructor"


INSTRUCTOR = Principal("instructor")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a token was not admitted; ``throttled``: the address failed too often."""

    reason: str
    throttled: bool = False


class Admission:
    def __init__(
        self,
        instructors: InstructorTokens,
        failures: FailureLimiter,
        learner_opens: LearnerOpens,
        report_tickets: ReportTickets | None = None,
    ) -> None:
        self.instructors = instructors
        self.failures = failures
        self._learner_opens = learner_opens
        self.report_tickets = report_tickets if report_tickets is not None else ReportTickets()

    def instructor(self, token: str | None, client: str) -> Principal | Refusal:
        """The instructor, if ``token`` is an instructor token in force."""
        if self.instructors.check(token):
            return INSTRUCTOR
        return self.refuse(client, NO_VALID_BEARER)

    def known(self, session_id: str | None, token: str | None) -> Principal | None:
        """The live learner of ``session_id`` or the instructor; None, uncounted, when the
        token opens neither (it may still open a recorded session: :meth:`recorded`)."""
        if session_id is not None and self._learner_opens(session_id, token):
            return Principal("learner", session_id)
        if self.instructors.check(token):
            return INSTRUCTOR
        return None

    def session(self, session_id: str, token: str | None, client: str) -> Principal | Refusal:
        """The learner of ``session_id`` (its own token) or the instructor."""
        known = self.known(session_id, token)
        return known if known is not None else self.refuse(client, NOT_YOUR_SESSION)

    def recorded(
        self, session_id: str | None, token: str | None, client: str, digests: Iterable[bytes]
    ) -> Principal | Refusal:
        """The learner whose recorded session(s) hold one of ``digests`` (the learner-token
        digests still in force of sessions no longer running here: finished, interrupted,
        or running in another replica), else as :meth:`session`."""
        if matches(token, list(digests)):
            return Principal("learner", session_id)
        known = self.known(session_id, token)
        return known if known is not None else self.refuse(client, NOT_YOUR_SESSION)

    def report(self, session_id: str, ticket: str | None, client: str) -> Principal | Refusal:
        """The bearer of a report link (:mod:`twin_service.auth.report_links`): the report
        of ``session_id`` only."""
        if self.report_tickets.opens(session_id, ticket):
            return Principal("report", session_id)
        return self.refuse(client, NOT_YOUR_SESSION)

    def refuse(self, client: str, reason: str) -> Refusal:
        """Count a failure for ``client`` and say why it was refused: ``reason``, or, once
        the address failed too often, that it must wait (throttled).

        Only failures are throttled: a valid token is checked first and always admitted,
        so twenty stale pages behind one classroom NAT cannot lock the instructor out.
        Tokens are long random strings (``MIN_TOKEN_LENGTH``), so throttling is not what
        stops guessing; it keeps a client that keeps failing cheap to answer.
        """
        if self.failures.blocked(client):
            return Refusal(TOO_MANY_FAILURES, throttled=True)
        self.failures.failed(client)
        return Refusal(reason)
