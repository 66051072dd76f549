"""What a simulated one-switch learner does with a ``scan`` frame (group scanning too)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Literal

Press = Literal["choice", "group", "back"]


def press_for(
    frame: dict[str, Any], choices: Sequence[dict[str, Any]], right: Collection[str]
) -> Press | None:
    """Whether a learner wanting any of the ``right`` choice ids presses select now, and on
    what: a right choice lit, a group holding one lit (docs/switch-scanning.md, "Frames"), or
    "back" lit in an open group without one. None: wait."""
    if frame.get("type") != "scan" or not choices:
        return None
    lit = frame.get("highlighted")
    if lit is not None:
        return "choice" if lit < len(choices) and choices[lit]["id"] in right else None
    groups, group = frame.get("groups"), frame.get("group")
    if not groups or group is None:
        return None
    holds = any(i < len(choices) and choices[i]["id"] in right for i in groups[group])
    if frame.get("level") == "groups":
        return "group" if holds else None
    return "back" if frame.get("back") and not holds else None
