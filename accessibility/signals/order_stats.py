"""Median and percentile of a 1-D window, equal to numpy's to the last bit, cheaper.

``np.median`` and ``np.percentile`` are general (axes, NaN checks, many methods) and cost
about ten times the one ``np.partition`` they need on a window of a few hundred samples:
on the derived-signal engine's hot path that was a tenth of a PPG recomputation. These
take the same partition and do numpy's own arithmetic on the two middle values (median)
or its linear interpolation (``method="linear"``, numpy's default), so the results are
identical for finite input. NaN is the caller's to exclude (numpy would return NaN).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def median(values: FloatArray) -> float:
    """``float(np.median(values))`` of a non-empty finite 1-D array."""
    n = values.size
    half = n // 2
    if n % 2:
        return float(np.partition(values, half)[half])
    part = np.partition(values, (half - 1, half))
    return (float(part[half - 1]) + float(part[half])) / 2.0  # numpy: their mean


def percentile(values: FloatArray, q: float) -> float:
    """``float(np.percentile(values, q))`` (linear method) of a non-empty finite 1-D array."""
    n = values.size
    virtual = (n - 1) * (q / 100.0)
    below = min(max(math.floor(virtual), 0), n - 1)
    above = min(below + 1, n - 1)
    part = np.partition(values, (below, above))
    a, b = float(part[below]), float(part[above])
    t = virtual - below
    # numpy's _lerp: from below for t < 0.5, from above otherwise (monotonic, exact ends).
    return b - (b - a) * (1.0 - t) if t >= 0.5 else a + (b - a) * t
