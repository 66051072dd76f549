"""Which kits a gateway process ingests when several share the load.

Each kit belongs to exactly one of ``count`` partitions, by a stable hash of
``lab/kit`` (CRC-32, the same in every process and every run). A gateway started with
``ACCESSTWIN_PARTITION=i/N`` subscribes to every kit's topics but handles only the kits
of partition ``i``; the rest it acknowledges at once, unread. So one kit's messages are
handled by one process, in the order the broker delivers them (per-kit order kept,
the kit's derived signals see its whole stream), and the expensive work — parsing,
validation, twin, derived signals, storage — is spread over ``N`` processes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Partition:
    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 1024 or not 0 <= self.index < self.count:
            raise ValueError(
                f"partition must be I/N with 0 <= I < N <= 1024, got {self.index}/{self.count}"
            )

    @classmethod
    def parse(cls, text: str) -> Partition:
        index, sep, count = text.partition("/")
        if not sep or not index.isdigit() or not count.isdigit():
            raise ValueError(f"partition must look like 0/2 (this one of two), got {text!r}")
        return cls(int(index), int(count))

    def owns(self, lab: str, kit: str) -> bool:
        return self.count == 1 or partition_of(lab, kit, self.count) == self.index


def partition_client_id(base: str, partition: Partition) -> str:
    """A partitioned gateway's MQTT client id: each partition keeps its own session."""
    return base if partition.count == 1 else f"{base}-{partition.index}of{partition.count}"


def partition_of(lab: str, kit: str, count: int) -> int:
    return zlib.crc32(f"{lab}/{kit}".encode()) % count
