"""QCPR-style CPR score from each compression of the scored step (docs/cpr-scoring.md).

Laerdal's "CPR scoring explained" (docs/domain.md "CPR quality"): the sub-scores are binary per
compression - the share of compressions in target for depth, rate and recoil - and the
overall score is not: it also measures how far each miss was from the target. Nothing
here averages the trace first, so uneven compressions (40, 70, 40, 70 mm) never look like
a good mean of 55 mm.

Per compression ``i`` and component ``k`` (depth, rate, recoil) a quality ``q_ik``:
1 inside the target band, falling linearly to 0 at ``TOLERANCE[k]`` outside it (depth
20 mm: 40 or 70 mm -> 0.5; rate 40/min: 90/min -> 0.75; recoil 10 mm beyond the 5 mm
allowed). A compression with no rate (the first after a pause) is not judged on rate.
A compression is only as good as its weakest parts: ``q_i = prod_k q_ik ^ (w_k / w_max)``
(``w`` the scenario's weights; weight 0 leaves a component out).

``score = 100 * (W * mean_i(q_i) + w_ccf * min(1, ccf_pct / ccf_target_pct)) / (W + w_ccf)``
with ``W = w_rate + w_depth + w_recoil``; 0 without compressions. Defaults: weights 0.3,
0.3, 0.2, 0.2 and CCF target 80 % (AHA: >= 60 %, ideally >= 80 %).

``ccf_pct`` (chest compression fraction): hands-on time / time in the scored step. Each
compression holds the chest for its interval when it has a rate (an interval up to
``PAUSE_S``), else for one cycle at 110/min. Durations only: the compressions' device
times and the step's service-clock times are never compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from accessibility.scoring import CprScoring, ScoreReport, grade
from accessibility.signals.compressions import PAUSE_S, Compression

TOLERANCE: Mapping[str, float] = MappingProxyType({"depth": 20.0, "rate": 40.0, "recoil": 10.0})
CYCLE_S = 60.0 / 110.0  # hands-on time of a compression without a rate (middle of 100-120)
FORMULA = (
    "per compression: q = product over depth, rate, recoil of q_k^(w_k/w_max), q_k = 1 in"
    " target, falling linearly to 0 at 20 mm / 40 per min / 10 mm outside it; score = 100 *"
    " (W * mean(q) + w_ccf * min(1, ccf%/ccf_target)) / (W + w_ccf), W = w_rate + w_depth +"
    " w_recoil; defaults w = 0.3 rate, 0.3 depth, 0.2 recoil, 0.2 ccf, ccf_target = 80;"
    " shares in target are % of compressions (rate: of those with a rate)"
)


def _quality(value: float, band: tuple[float, float], tolerance: float) -> float:
    lo, hi = band
    distance = lo - value if value < lo else value - hi if value > hi else 0.0
    return max(0.0, 1.0 - distance / tolerance)


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole > 0 else None


class CompressionScorer:
    """Accumulates per-compression quality in O(1) per compression."""

    def __init__(self, cfg: CprScoring, *, series_every_s: float = 1.0) -> None:
        self.cfg = cfg
        self._every = series_every_s
        w = cfg.weights
        top = max(w["rate"], w["depth"], w["recoil"])
        self._exp = {k: (w[k] / top if top > 0 else 0.0) for k in ("depth", "rate", "recoil")}
        self._w_comp = w["rate"] + w["depth"] + w["recoil"]
        self._w_ccf = w["ccf"]
        self._first_now: float | None = None
        self._last_now: float | None = None
        self.compressions = 0
        self._with_rate = 0
        self._ok = {"depth": 0, "rate": 0, "recoil": 0}
        self._quality_sum = 0.0
        self._depth_sum = 0.0
        self._hands_on_s = 0.0
        self._series: list[tuple[float, float]] = []

    def observe(self, now: float) -> None:
        """The scored step is open at service time ``now`` (its observed time grows)."""
        if self._first_now is None:
            self._first_now = now
        if self._last_now is None or now > self._last_now:
            self._last_now = now
        if not self._series or now - self._series[-1][0] >= self._every:
            self._series.append((now, round(self.score_now(), 1)))

    def add(self, c: Compression, now: float) -> None:
        """One compression completed during the scored step (``now``: service time)."""
        self.observe(now)
        cfg = self.cfg
        self.compressions += 1
        self._depth_sum += c.depth_mm
        q = _quality(c.depth_mm, cfg.depth_mm, TOLERANCE["depth"]) ** self._exp["depth"]
        q *= _quality(c.recoil_mm, (float("-inf"), 5.0), TOLERANCE["recoil"]) ** self._exp["recoil"]
        if c.rate_per_min is not None:
            self._with_rate += 1
            q *= _quality(c.rate_per_min, cfg.rate, TOLERANCE["rate"]) ** self._exp["rate"]
            lo, hi = cfg.rate
            self._ok["rate"] += lo <= c.rate_per_min <= hi
        dlo, dhi = cfg.depth_mm
        self._ok["depth"] += dlo <= c.depth_mm <= dhi
        self._ok["recoil"] += c.recoil_ok
        self._quality_sum += q
        interval = c.interval_s
        self._hands_on_s += interval if interval is not None and interval <= PAUSE_S else CYCLE_S

    def observed_s(self) -> float:
        if self._first_now is None or self._last_now is None:
            return 0.0
        return self._last_now - self._first_now

    def ccf_pct(self) -> float | None:
        if self.compressions == 0:
            return 0.0 if self.observed_s() > 0 else None
        observed = max(self.observed_s(), self._hands_on_s)
        return _pct(self._hands_on_s, observed)

    def score_now(self) -> float:
        if self.compressions == 0:
            return 0.0
        mean_q = self._quality_sum / self.compressions
        ccf = self.ccf_pct() or 0.0
        ccf_part = min(1.0, ccf / self.cfg.ccf_target_pct) if self.cfg.ccf_target_pct > 0 else 1.0
        total = self._w_comp + self._w_ccf
        return 100.0 * (self._w_comp * mean_q + self._w_ccf * ccf_part) / total

    def report(self, scenario_id: str) -> ScoreReport:
        n, score = self.compressions, round(self.score_now(), 1)
        metrics: dict[str, float | int | None] = {
            "compressions": n,
            "depth_in_target_pct": _pct(self._ok["depth"], n),
            "rate_in_target_pct": _pct(self._ok["rate"], self._with_rate),
            "recoil_in_target_pct": _pct(self._ok["recoil"], n),
            "ccf_pct": self.ccf_pct(),
            "mean_depth_mm": round(self._depth_sum / n, 1) if n else None,
            "compression_quality_pct": _pct(self._quality_sum, n),
            "hands_on_s": round(self._hands_on_s, 1),
            "observed_s": round(self.observed_s(), 1),
        }
        series = list(self._series)
        if self._last_now is not None and (not series or series[-1][0] < self._last_now):
            series.append((self._last_now, score))
        elif series:
            series[-1] = (series[-1][0], score)
        return ScoreReport(
            scenario_id, "cpr", score, grade(score), FORMULA, metrics, series=tuple(series)
        )
