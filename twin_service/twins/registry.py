"""All twins the service holds, keyed by kit, with a bound on how many."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.identifiers import KitRef
from twin_service.twins.twin import Twin


class TwinLimitReachedError(Exception):
    """A new kit appeared but the service already holds ``max_twins`` twins."""


class TwinRegistry:
    def __init__(self, max_twins: int = 10_000) -> None:
        self.max_twins = max_twins
        self._twins: dict[KitRef, Twin] = {}

    def get(self, kit: KitRef) -> Twin | None:
        return self._twins.get(kit)

    def get_or_create(self, kit: KitRef) -> Twin:
        twin = self._twins.get(kit)
        if twin is None:
            if len(self._twins) >= self.max_twins:
                raise TwinLimitReachedError(f"twin limit {self.max_twins} reached; {kit} refused")
            twin = self._twins[kit] = Twin(kit)
        return twin

    def in_lab(self, lab: str) -> list[Twin]:
        return sorted((t for k, t in self._twins.items() if k.lab == lab), key=lambda t: t.kit)

    def __iter__(self) -> Iterator[Twin]:
        return iter(sorted(self._twins.values(), key=lambda t: t.kit))

    def __len__(self) -> int:
        return len(self._twins)
