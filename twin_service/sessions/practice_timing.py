"""Switch practice proposes the learner's debounce and hold times; the instructor accepts.

Every raw switch event of a practice session goes to its ``PressTimer``
(``accessibility.press_timing``) before the scan machine filters any; each trial whose press
selected the known target marks that press as intended. Once the practice is finished, the
session's summary (the dashboard's list, the report) carries ``timing``: the proposal, the
profile's current values, the measurements and the reasons, and whether the instructor has
accepted it. Accepting (``POST /api/v1/sessions/{id}/timing/accept``, instructor token)
writes the proposed ``debounce_ms`` and ``hold_ms`` into the learner's profile and records
an instructor-action event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twin_service.sessions.manager import Session


def timing_summary(session: Session) -> dict[str, Any] | None:
    """The ``timing`` block of a finished practice session (None otherwise)."""
    timer = session.press_timer
    if timer is None or not session.policy.finished:
        return None
    profile = session.profile
    proposal = timer.propose(profile.debounce_ms, profile.hold_ms)
    return {
        **proposal.to_dict(),
        "current": {"debounce_ms": profile.debounce_ms, "hold_ms": profile.hold_ms},
        "accepted": session.timing_accepted,
    }
