"""Names of the hub's groups: who receives a frame (``lab:{lab}``, ``session:{id}``)."""

from __future__ import annotations


def lab_group(lab: str) -> str:
    """Every dashboard of one lab: twin deltas, status, feedback of the lab's sessions."""
    return f"lab:{lab}"


def session_group(session_id: str) -> str:
    """The pages of one learner session: its feedback and scan state."""
    return f"session:{session_id}"
