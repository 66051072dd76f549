"""Group (row/column) scanning: which steps are scanned by groups, and how they are cut.

A one-switch learner waiting for the highlight to reach the 8th of 8 choices waits through
7 scan times; scanned by groups (a group first, then the items of that group) it is at
most 2 groups + 4 items. Grid 3, AsTeRICS Grid and the row/column scanning studied by
Simpson & Koester (1999, "Adaptive one-switch row-column scanning") do the same.

A step is group-scanned when it has more than ``GROUP_SCAN_ABOVE_CHOICES`` (6) choices,
or when the learner's profile asks (``group_scan``) and it has more than 2. Groups keep
the choices' order and hold 3-4 of them (``GROUP_SIZE`` at most; sizes differ by at most
one), with always at least two groups. Each open group ends with a "back" item. Pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

from accessibility.model import GROUP_SCAN_ABOVE_CHOICES

GROUP_SIZE: Final = 4  # the most choices in one group
GROUP_SCAN_ASKED_ABOVE: Final = 2  # profile group_scan: from 3 choices on

Groups = tuple[tuple[int, ...], ...]
SpotKind = Literal["choice", "group", "back"]


@dataclass(frozen=True, slots=True)
class Spot:
    """What the highlight can be on: a choice (index into the choices), a group (index
    into the groups), or the open group's "back" item (``index``: that group)."""

    kind: SpotKind
    index: int


def group_layout(choices: int, *, asked: bool = False) -> Groups | None:
    """The groups of a step of ``choices`` choices, in scan order (None: not grouped)."""
    if choices > GROUP_SCAN_ABOVE_CHOICES or (asked and choices > GROUP_SCAN_ASKED_ABOVE):
        count = max(2, math.ceil(choices / GROUP_SIZE))
        small, extra = divmod(choices, count)  # the first `extra` groups get one more
        groups, start = [], 0
        for g in range(count):
            size = small + (1 if g < extra else 0)
            groups.append(tuple(range(start, start + size)))
            start += size
        return tuple(groups)
    return None


def line_of(choices: int, groups: Groups | None, open_group: int | None) -> tuple[Spot, ...]:
    """The spots scanned at the current level: every choice (not grouped), the groups
    (none open), or the open group's choices and then its back item."""
    if groups is None:
        return tuple(Spot("choice", i) for i in range(choices))
    if open_group is None:
        return tuple(Spot("group", g) for g in range(len(groups)))
    return (*(Spot("choice", i) for i in groups[open_group]), Spot("back", open_group))
