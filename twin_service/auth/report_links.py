"""Short-lived, report-only links, so that no page puts the instructor token in a URL.

The dashboard opens a session's report in a new tab, which cannot send an
``Authorization`` header. Instead of ``?token=<instructor token>`` (kept in history,
proxy logs and ``Referer``), it asks for a link (``POST …/report-link``, instructor token
in the header) whose ``ticket`` opens that one session's report, and nothing else, for
``TICKET_TTL_S``. Tickets are random, kept as SHA-256 digests, and bounded in number.
Pure: the clock is passed in.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from twin_service.auth.tokens import digest, new_token

TICKET_TTL_S = 60.0
MAX_TICKETS = 1_000


class ReportTickets:
    def __init__(
        self,
        ttl_s: float = TICKET_TTL_S,
        max_tickets: int = MAX_TICKETS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl_s = ttl_s
        self._max = max_tickets
        self._clock = clock
        self._tickets: OrderedDict[bytes, tuple[str, float]] = OrderedDict()

    def issue(self, session_id: str) -> tuple[str, float]:
        """A new ticket for the report of ``session_id``, and when it expires."""
        now = self._clock()
        self._forget_expired(now)
        while len(self._tickets) >= self._max:
            self._tickets.popitem(last=False)
        ticket = new_token()
        expires_at = now + self.ttl_s
        self._tickets[digest(ticket)] = (session_id, expires_at)
        return ticket, expires_at

    def opens(self, session_id: str, ticket: str | None) -> bool:
        if not ticket:
            return False
        found = self._tickets.get(digest(ticket))
        return found is not None and found[0] == session_id and self._clock() <= found[1]

    def _forget_expired(self, now: float) -> None:
        while self._tickets:
            _, (_, expires_at) = next(iter(self._tickets.items()))
            if expires_at >= now:
                return
            self._tickets.popitem(last=False)
