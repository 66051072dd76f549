"""What a ``SessionManager`` tells about its sessions as they happen (the records listen)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from twin_service.auth.revocations import Revocation
    from twin_service.sessions.manager import Session


class SessionObserver(Protocol):
    def started(self, session: Session, now: float) -> None: ...

    def event(self, session: Session, kind: str, data: dict[str, Any], ts: float) -> None: ...

    def score(self, session: Session, now: float, *, force: bool = False) -> None: ...

    def finished(self, session: Session, now: float) -> None: ...

    def resumed(self, session: Session, now: float) -> None: ...

    def revoked(self, session: Session, revocation: Revocation) -> None:
        """The session's learner token was revoked (kept across restarts)."""

    def forget(self, session_id: str) -> None: ...


class NoObserver:
    """Sessions recorded nowhere (unit tests of the manager alone)."""

    def started(self, session: Session, now: float) -> None:
        pass

    def event(self, session: Session, kind: str, data: dict[str, Any], ts: float) -> None:
        pass

    def score(self, session: Session, now: float, *, force: bool = False) -> None:
        pass

    def finished(self, session: Session, now: float) -> None:
        pass

    def resumed(self, session: Session, now: float) -> None:
        pass

    def revoked(self, session: Session, revocation: Revocation) -> None:
        pass

    def forget(self, session_id: str) -> None:
        pass
