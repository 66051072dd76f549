"""Tokens and who may do what.

Instructor tokens come from ``ACCESSTWIN_API_TOKEN`` (several may be given, separated
by commas) and are kept only as SHA-256 digests; every comparison is constant-time.
Learner tokens are made per session and open only that session. Repeated failures
from one client address are refused for a while (HTTP 429 / websocket close 1008).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Iterable


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def matches(presented: str | None, digests: Iterable[bytes]) -> bool:
    """Constant-time check of ``presented`` against every digest (no early exit)."""
    if not presented:
        return False
    candidate = digest(presented)
    found = False
    for known in digests:
        found |= hmac.compare_digest(candidate, known)
    return found


def new_token() -> str:
    return secrets.token_urlsafe(24)


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value else None


class InstructorTokens:
    def __init__(self, tokens: Iterable[str], enabled: bool = True) -> None:
        self.enabled = enabled
        self._digests = {digest(t) for t in tokens}

    def check(self, presented: str | None) -> bool:
        return not self.enabled or matches(presented, self._digests)

    def revoke(self, token: str) -> bool:
        known = digest(token)
        before = len(self._digests)
        self._digests = {d for d in self._digests if not hmac.compare_digest(d, known)}
        return len(self._digests) < before


class FailureLimiter:
    """At most ``max_failures`` auth failures per client within ``window_s``."""

    def __init__(self, max_failures: int = 20, window_s: float = 60.0, max_clients: int = 10_000):
        self._max = max_failures
        self._window = window_s
        self._max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}

    def blocked(self, client: str, now: float | None = None) -> bool:
        failures = self._failures.get(client)
        if not failures:
            return False
        now = time.monotonic() if now is None else now
        while failures and now - failures[0] > self._window:
            failures.popleft()
        return len(failures) >= self._max

    def failed(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if client not in self._failures and len(self._failures) >= self._max_clients:
            self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault(client, deque(maxlen=self._max)).append(now)
