"""After a replayed burst (a kit back online sends minutes of spooled PPG in a second),
derived values are recomputed at its end (docs/interface.md): ``flush_derived``
brings them to the newest data once the kit has been quiet ``DERIVED_FLUSH_QUIET_S``;
the runtime calls it every ``DERIVED_FLUSH_EVERY_S``, so within 2 s (the contract: 5 s)."""

from __future__ import annotations

import numpy as np

from devices.simulation.ppg import PpgSynth
from gateway.identifiers import KitRef
from tests.unit.pipeline_rig import PipelineRig
from twin_service.ingest.pipeline import DERIVED_FLUSH_QUIET_S
from twin_service.runtime import DERIVED_FLUSH_EVERY_S

T0 = 1_764_060_000.0
RATE = 50.0


def test_replayed_burst_is_recomputed_at_its_end() -> None:
    rig = PipelineRig()
    x = PpgSynth(3, RATE, dc_counts=80_000.0, inverted=True).chunk(0.0, int(60 * RATE), 70.0)
    now = T0 + 3_600.0  # the kit was offline for an hour: all of this is a replay
    for seq, i in enumerate(range(0, x.size, 25)):
        samples = np.round(x[i : i + 25], 1).tolist()
        payload = {"ts": T0 + i / RATE, "seq": seq,
                   "waveforms": {"ppg": {"rate_hz": RATE, "samples": samples}}}  # fmt: skip
        rig.handle("p/lab/k1/telemetry", payload, now + seq * 1e-4)  # 60 s of data in 12 ms
    twin = rig.pipeline.twins.get(KitRef("lab", "k1"))
    assert twin is not None
    newest = T0 + (x.size - 1) / RATE
    before = twin.derived.get("hr_ppg")
    assert before is None or before.ts < newest - 5  # throttled: its end was not computed
    assert rig.pipeline.flush_derived(now + 0.5) == 0  # not quiet long enough yet
    assert rig.pipeline.flush_derived(now + DERIVED_FLUSH_QUIET_S + 0.1) == 1
    assert twin.derived["hr_ppg"].ts == newest and twin.derived["ppg_quality"].ts == newest
    assert abs(twin.derived["hr_ppg"].value - 70) <= 5
    assert twin.derived["hr_ppg"].quality is not None
    assert rig.pipeline.flush_derived(now + 10) == 0  # nothing new since
    assert DERIVED_FLUSH_QUIET_S + DERIVED_FLUSH_EVERY_S <= 5.0
    rig.flush()
    assert rig.stored("lab", "k1", "hr_ppg")[-1][0] == newest
