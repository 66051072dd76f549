"""The last few compressions as values the CPR scenario's rules judge (docs/cpr-scoring.md).

Prompts are driven by compressions, not by 10 s window averages, so a correction comes
within two or three compressions of the error and ends as soon as it is no longer true:

* ``cpr_compression_depth_mm``: the newest compression's depth (its time says when the
  last compression was seen complete: "no compression for 4 s" is this value missing that
  long);
* ``cpr_recent_depth_mm``: median depth of the last 3 - two shallow ones of three make it
  shallow, one odd compression does not;
* ``cpr_recent_rate``: median of the last 3 rates (present once 3 compressions in a row
  have one) - a 1 s hesitation is one slow interval and moves no median; 26/min is a rate
  of 26, not 0;
* ``cpr_recent_recoil_pct``: % of the last 5 with full recoil (2 of 5 leaning: 60 %;
  present from the 5th compression).

Each value's time is the newest compression's time on the caller's clock. Pure.
"""

from __future__ import annotations

import statistics
from collections import deque

from accessibility.signals.compressions import Compression

DEPTH_OF_LAST = 3
RATE_OF_LAST = 3
RECOIL_OF_LAST = 5  # the names are in accesstwin_contract.quantities (shown=False)


class RecentCompressions:
    """The last ``RECOIL_OF_LAST`` compressions and the values the rules read."""

    def __init__(self) -> None:
        self._last: deque[Compression] = deque(maxlen=max(DEPTH_OF_LAST, RECOIL_OF_LAST))
        self._rates: deque[float] = deque(maxlen=RATE_OF_LAST)
        self.values: dict[str, float] = {}
        self.ts: float | None = None  # the newest compression's time (caller's clock)

    def clear(self) -> None:
        self._last.clear()
        self._rates.clear()
        self.values = {}
        self.ts = None

    def add(self, c: Compression, at: float) -> None:
        """One completed compression, ``at`` its time on the caller's clock."""
        self._last.append(c)
        if c.rate_per_min is None:
            self._rates.clear()  # a pause: the rate starts again
        else:
            self._rates.append(c.rate_per_min)
        last = list(self._last)
        values = {
            "cpr_compression_depth_mm": round(c.depth_mm, 1),
            "cpr_recent_depth_mm": round(
                statistics.median(x.depth_mm for x in last[-DEPTH_OF_LAST:]), 1
            ),
        }
        if len(last) >= RECOIL_OF_LAST:
            recoiled = sum(x.recoil_ok for x in last[-RECOIL_OF_LAST:])
            values["cpr_recent_recoil_pct"] = round(100.0 * recoiled / RECOIL_OF_LAST, 1)
        if len(self._rates) == RATE_OF_LAST:
            values["cpr_recent_rate"] = round(statistics.median(self._rates), 1)
        self.values = values
        self.ts = at if self.ts is None else max(self.ts, at)
