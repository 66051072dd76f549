"""Tokens and who may do what.

Instructor tokens come from ``ACCESSTWIN_API_TOKEN`` (several may be given, separated
by commas) and are kept only as SHA-256 digests; every comparison is constant-time.
An operator may revoke one at run time (``POST /api/v1/tokens/revoke``): it is refused
from then on, and whoever watches it (an open websocket) is told at once. Revocation
lasts for the life of the process; the token must also leave ``ACCESSTWIN_API_TOKEN``
before the next start. Learner tokens are made per session and open only that session.
Repeated failures from one client address are answered "too many failed attempts" for a
while (HTTP 429 / websocket close 4429); a valid token is never refused for them
(``twin_service.auth.admission``).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

DIGEST_SHOWN = 12  # hex characters of a digest that name a token in listings and logs


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


class UnknownTokenError(LookupError):
    """No instructor token matches what was named."""


class LastTokenError(ValueError):
    """Revoking this token would leave no instructor token in force."""


@dataclass(frozen=True, slots=True)
class TokenListing:
    digest_prefix: str  # the first DIGEST_SHOWN hex characters of the SHA-256 digest
    revoked: bool


class InstructorTokens:
    def __init__(self, tokens: Iterable[str], enabled: bool = True) -> None:
        self.enabled = enabled
        self._all = list(dict.fromkeys(digest(t) for t in tokens))  # configured order
        self._digests = set(self._all)  # in force
        self._watchers: dict[int, tuple[bytes, Callable[[], None]]] = {}
        self._watch_ids = itertools.count()

    def check(self, presented: str | None) -> bool:
        return not self.enabled or matches(presented, self._digests)

    def listing(self) -> list[TokenListing]:
        return [TokenListing(d.hex()[:DIGEST_SHOWN], d not in self._digests) for d in self._all]

    def find(self, *, token: str | None = None, hex_digest: str | None = None) -> bytes:
        """The digest of a configured token, named by the token itself or by its SHA-256
        hex digest (in full, or at least the first ``DIGEST_SHOWN`` characters a listing
        shows); raises :class:`UnknownTokenError`."""
        if token is not None:
            wanted = digest(token)
            for known in self._all:
                if hmac.compare_digest(known, wanted):
                    return known
            raise UnknownTokenError("no instructor token matches")
        text = (hex_digest or "").lower()
        found = [d for d in self._all if len(text) >= DIGEST_SHOWN and d.hex().startswith(text)]
        if len(found) != 1:
            raise UnknownTokenError(
                f"no single instructor token has a SHA-256 digest starting {text[:64]!r}"
            )
        return found[0]

    def revoke_digest(self, known: bytes) -> int:
        """Revoke the token with digest ``known``; returns how many watchers were told.

        Raises :class:`LastTokenError` rather than leave no token in force (then nobody
        could use the API until a restart). Revoking a revoked token changes nothing.
        """
        if known not in self._digests:
            return 0
        if len(self._digests) == 1:
            raise LastTokenError(
                "refusing to revoke the last instructor token still in force: add another"
                " to ACCESSTWIN_API_TOKEN and restart first"
            )
        self._digests.discard(known)
        told = [notify for key, notify in list(self._watchers.values()) if key == known]
        for notify in told:
            notify()
        return len(told)

    def revoke(self, token: str) -> bool:
        """Revoke ``token``; False if it is not a token in force."""
        try:
            known = self.find(token=token)
        except UnknownTokenError:
            return False
        if known not in self._digests:
            return False
        self.revoke_digest(known)
        return True

    def watch(self, presented: str, on_revoked: Callable[[], None]) -> Callable[[], None]:
        """Call ``on_revoked`` when ``presented`` is revoked (at once if it is not in force);
        returns the function that stops watching."""
        key = digest(presented)
        if not matches(presented, self._digests):
            on_revoked()
        watch_id = next(self._watch_ids)
        self._watchers[watch_id] = (key, on_revoked)

        def unwatch() -> None:
            self._watchers.pop(watch_id, None)

        return unwatch

    @property
    def watched(self) -> int:
        return len(self._watchers)


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
