"""``bench store``: ``SqliteStore.write`` points/s at several batch sizes (points per commit).

A message is one 10-sample waveform chunk (10 points; a batch of 1 point is one message
of one point), each with its ``seq`` row, as the gateway writes them. Every batch size
gets a fresh database file in a temporary directory and runs until ``points`` points or
``max_seconds`` have passed.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.profiling import Profile
from benchmarks.report import BenchResult, Progress, fmt
from benchmarks.stats import rate, summarize
from twin_service.store.base import AppliedMessage, SamplePoint
from twin_service.store.sqlite import SqliteStore

POINTS_PER_MESSAGE = 10
KITS = 20


def make_batch(batch_points: int, first_seq: int, t0: float) -> list[AppliedMessage]:
    """Messages holding ``batch_points`` points in all, ``seq`` from ``first_seq``."""
    per = min(batch_points, POINTS_PER_MESSAGE)
    out: list[AppliedMessage] = []
    made = 0
    seq = first_seq
    while made < batch_points:
        n = min(per, batch_points - made)
        kit = f"k{seq % KITS:03d}"
        ts = t0 + (seq // KITS) * 0.2
        points = [
            SamplePoint("bench", kit, "ppg", ts + i * 0.02, 80_000.0 + i, ts + 0.3)
            for i in range(n)
        ]
        out.append(AppliedMessage("bench", kit, seq, ts + 0.3, points))
        made += n
        seq += 1
    return out


async def measure(db: Path, batch_points: int, points: int, max_seconds: float) -> dict[str, float]:
    store = SqliteStore(db)
    await store.open()
    t0 = time.time() - 86_400
    seq = 0
    written = commits = 0
    commit_ms: list[float] = []
    busy = 0.0
    deadline = time.perf_counter() + max_seconds
    try:
        while written < points and time.perf_counter() < deadline:
            batch = make_batch(min(batch_points, points - written), seq, t0)
            seq += len(batch)
            started = time.perf_counter()
            written += await store.write(batch)
            spent = time.perf_counter() - started
            busy += spent
            commit_ms.append(spent * 1000)
            commits += 1
    finally:
        await store.close()
    stats = summarize(commit_ms)
    return {
        "batch_points": batch_points,
        "points": written,
        "messages": seq,
        "commits": commits,
        "seconds": busy,
        "points_per_s": rate(written, busy),
        "commits_per_s": rate(commits, busy),
        "commit_ms_p50": stats["p50"],
        "commit_ms_p99": stats["p99"],
    }


def run_store(
    batches: list[int],
    points: int,
    max_seconds: float,
    profile_dir: Path | None,
    progress: Progress,
) -> BenchResult:
    results = []
    profile = Profile(profile_dir is not None)
    profile.start()
    with tempfile.TemporaryDirectory(prefix="accesstwin-bench-store-") as tmp:
        for size in batches:
            progress(f"batch size {size:,} points per commit")
            results.append(
                asyncio.run(measure(Path(tmp) / f"store-{size}.db", size, points, max_seconds))
            )
    notes = [
        "SqliteStore.write in WAL mode, synchronous=NORMAL, one transaction per call; time is"
        " spent inside write() (building the batch is not counted)",
        f"a message holds up to {POINTS_PER_MESSAGE} points plus its seq row",
    ]
    if profile_dir is not None:
        written = profile.stop(profile_dir / "store-profile")
        notes.append(written or "")
    rows = [
        [
            f"{r['batch_points']:,.0f}",
            f"{r['points']:,.0f}",
            f"{r['commits']:,.0f}",
            fmt(r["seconds"], 2),
            fmt(r["points_per_s"], 0),
            fmt(r["commits_per_s"], 0),
            fmt(r["commit_ms_p50"], 2),
            fmt(r["commit_ms_p99"], 2),
        ]
        for r in results
    ]
    headers = [
        "points/commit",
        "points",
        "commits",
        "seconds",
        "points/s",
        "commits/s",
        "commit p50 ms",
        "commit p99 ms",
    ]
    return BenchResult("store", headers, rows, {"batches": results}, notes)
