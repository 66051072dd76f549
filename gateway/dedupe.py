"""Duplicate ``seq`` detection per kit (QoS 1 redelivery is applied once).

Each kit keeps the set of the last ``window`` sequence numbers it applied. A ``seq`` in
that set is a duplicate; anything else is new, so a kit whose counter restarted is not
locked out. Kits keep ``seq`` increasing across restarts (the agent persists it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from gateway.identifiers import KitRef


class _KitSeqs:
    __slots__ = ("order", "seen")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.order: deque[int] = deque()


class SeqTracker:
    """Remembers applied sequence numbers per kit, bounded per kit."""

    def __init__(self, window: int = 65_536) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self._window = window
        self._kits: dict[KitRef, _KitSeqs] = {}

    def is_duplicate(self, kit: KitRef, seq: int) -> bool:
        seqs = self._kits.get(kit)
        return seqs is not None and seq in seqs.seen

    def mark(self, kit: KitRef, seq: int) -> None:
        seqs = self._kits.get(kit)
        if seqs is None:
            seqs = self._kits[kit] = _KitSeqs()
        if seq in seqs.seen:
            return
        seqs.seen.add(seq)
        seqs.order.append(seq)
        if len(seqs.order) > self._window:
            seqs.seen.discard(seqs.order.popleft())

    def mark_all(self, kit: KitRef, seqs: Iterable[int]) -> None:
        for seq in seqs:
            self.mark(kit, seq)

    def forget(self, kit: KitRef) -> None:
        self._kits.pop(kit, None)
