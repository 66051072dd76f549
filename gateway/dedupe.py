"""Duplicate ``seq`` detection per kit (QoS 1 redelivery is applied once).

Each kit keeps its highest applied ``seq`` and a bitmask of which of the ``window``
numbers below it were applied: about ``window / 8`` bytes per kit (512 B for 4096),
so 10,000 kits cost a few MB. A ``seq`` inside the window is a duplicate if its bit is
set. One older than the window cannot be judged here and is let through: the store
judges it (SQLite keeps every applied ``(lab, kit, seq)``; InfluxDB rewrites identical
points). Redeliveries come from the broker's in-flight window (≤ 1000 here), well
inside 4096. Kits keep ``seq`` increasing across restarts (the agent persists it).
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.identifiers import KitRef


class _KitSeqs:
    __slots__ = ("mask", "newest")

    def __init__(self, seq: int) -> None:
        self.newest = seq
        self.mask = 1  # bit i set: newest - i was applied


class SeqTracker:
    """Remembers applied sequence numbers per kit, bounded per kit."""

    def __init__(self, window: int = 4_096) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self._window = window
        self._full = (1 << window) - 1
        self._kits: dict[KitRef, _KitSeqs] = {}

    def is_duplicate(self, kit: KitRef, seq: int) -> bool:
        seqs = self._kits.get(kit)
        if seqs is None or seq > seqs.newest:
            return False
        behind = seqs.newest - seq
        return behind < self._window and bool((seqs.mask >> behind) & 1)

    def mark(self, kit: KitRef, seq: int) -> None:
        seqs = self._kits.get(kit)
        if seqs is None:
            self._kits[kit] = _KitSeqs(seq)
        elif seq > seqs.newest:
            shift = seq - seqs.newest
            seqs.mask = ((seqs.mask << shift) | 1) & self._full if shift < self._window else 1
            seqs.newest = seq
        elif seqs.newest - seq < self._window:
            seqs.mask |= 1 << (seqs.newest - seq)

    def mark_all(self, kit: KitRef, seqs: Iterable[int]) -> None:
        for seq in seqs:
            self.mark(kit, seq)

    def forget(self, kit: KitRef) -> None:
        self._kits.pop(kit, None)
