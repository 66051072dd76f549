"""Small, dependency-free statistics used by the benchmarks (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation between closest ranks.

    Same definition as numpy's default (``method="linear"``). NaN for no values.
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile must be in 0..100, got {q}")
    if not values:
        return math.nan
    ordered = sorted(values)
    return _from_sorted(ordered, q)


def _from_sorted(ordered: Sequence[float], q: float) -> float:
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return float(ordered[low] + (ordered[high] - ordered[low]) * fraction)


def percentiles(values: Iterable[float], qs: Sequence[float]) -> dict[float, float]:
    """Several percentiles with one sort."""
    ordered = sorted(values)
    if not ordered:
        return {q: math.nan for q in qs}
    return {q: _from_sorted(ordered, q) for q in qs}


def summarize(values: Iterable[float]) -> dict[str, float]:
    """n, mean, p50, p95, p99 and max of ``values`` (NaN entries when empty)."""
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return dict.fromkeys(("mean", "p50", "p95", "p99", "max"), math.nan) | {"n": 0.0}
    return {
        "n": float(n),
        "mean": math.fsum(ordered) / n,
        "p50": _from_sorted(ordered, 50),
        "p95": _from_sorted(ordered, 95),
        "p99": _from_sorted(ordered, 99),
        "max": float(ordered[-1]),
    }


def rate(count: float, seconds: float) -> float:
    """Events per second; NaN when no time elapsed."""
    return count / seconds if seconds > 0 else math.nan


def ratio(measured: float, reference: float) -> float:
    """``measured / reference`` (e.g. gateway rate over the bare subscriber's ceiling)."""
    if reference <= 0 or math.isnan(reference) or math.isnan(measured):
        return math.nan
    return measured / reference


def meets(value: float, target: float, higher_is_better: bool) -> bool:
    """Whether a measured value meets its target (NaN never does)."""
    if math.isnan(value):
        return False
    return value >= target if higher_is_better else value <= target
