"""The CPR gauge of the learner page, in a real Chromium: the meters "Compression depth" and
"Compression rate" per `compression` frame (injected into the page's own websocket, and end
to end from a depth waveform over MQTT), "no compressions" when the kit stops, and axe on
the page with the monitor and the gauge. The cues are in test_learner_cues.py."""

from __future__ import annotations

import json
import math
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.driver import Browser
from tests.browser.helpers import Kit, check_axe, check_clean, record, shoot
from tests.browser.learner_view import choose_ready, make_session, open_page
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DEPTHS = [44, 52, 57, 61, 48]  # mm, distinct, around the 50-60 band
METER = "document.querySelector('[role=\"meter\"][aria-label={name}]')"
DEPTH_METER = METER.format(name=json.dumps("Compression depth"))
RATE_METER = METER.format(name=json.dumps("Compression rate"))


METER_STATE = """(() => {
  const m = %s;
  const band = m.querySelector('.meter-band').getBoundingClientRect();
  const x0 = m.getBoundingClientRect().left + m.clientLeft;
  const num = (a) => Number(m.getAttribute(a));
  return { now: num('aria-valuenow'), min: num('aria-valuemin'), max: num('aria-valuemax'),
    text: m.getAttribute('aria-valuetext'),
    band: [(band.left - x0) / m.clientWidth, (band.right - x0) / m.clientWidth] };
})()"""


def meter(browser: Browser, page: str, expr: str) -> dict[str, Any]:
    """aria-value* of a meter and where its target band is drawn (fractions of its width)."""
    return dict(browser.js(page, METER_STATE % expr))


def compression_frame(lab: str, kit: str, depth: float, ts: float, first: bool) -> str:
    rate = None if first else 100.0
    return json.dumps(
        {
            "type": "compression", "lab": lab, "kit": kit, "ts": ts, "depth_mm": depth,
            "recoil_mm": 1.0, "interval_s": None if first else 0.6, "rate_per_min": rate,
            "in_target": {
                "depth": 50 <= depth <= 60, "rate": None if first else True, "recoil": True,
            },
        }
    )  # fmt: skip


def test_gauge_meters_follow_compression_frames_and_say_no_compressions(
    browser: Browser, web: ServiceProcess, screenshots: Path
) -> None:
    body = make_session(web, "cpr-g1", "wardC", "k1", "cpr", scan_interval_ms=1000)
    page = "cpr-gauge"
    open_page(browser, page, body["learner_url"], route_ws=True)
    assert browser.js(page, "document.getElementById('gauge').hidden") is False
    depth = meter(browser, page, DEPTH_METER)
    assert (depth["min"], depth["max"]) == (0, 80)
    assert depth["band"] == pytest.approx([50 / 80, 60 / 80], abs=0.01)  # the target band drawn
    rate = meter(browser, page, RATE_METER)
    assert rate["band"] == pytest.approx([100 / 160, 120 / 160], abs=0.01)
    assert "No compressions yet" in depth["text"]
    t0 = time.time()
    for i, d in enumerate(DEPTHS):
        browser.call(
            "ws_inject", name=page, text=compression_frame("wardC", "k1", d, t0 + i * 0.6, i == 0)
        )
        got = browser.wait(page, f"{DEPTH_METER}.getAttribute('aria-valuenow') === '{d}' && {d}")
        assert got == d
        shown = browser.js(page, "document.getElementById('gauge').textContent")
        assert f"{d} mm" in shown or str(d) in shown
    assert meter(browser, page, RATE_METER)["now"] == 100
    assert "in target" in meter(browser, page, RATE_METER)["text"]
    # 52 and 57 are in the band (with rate and recoil): 2 of 5; 61 was too deep, 44 and 48 shallow.
    count = browser.js(page, "document.getElementById('gauge-count').textContent")
    assert count == "2 of 5 compressions in target", count
    assert "too shallow" in meter(browser, page, DEPTH_METER)["text"]  # 48 mm
    assert "Full release" in browser.js(page, "document.getElementById('gauge-recoil').textContent")
    shoot(browser, page, screenshots / "learn-cpr-gauge.png")
    # The kit stops: within a few seconds the gauge says so rather than showing 48 mm forever.
    browser.wait(
        page, f"{DEPTH_METER}.getAttribute('aria-valuetext') === 'No compressions'", timeout=6
    )
    assert "No compressions for" in browser.js(
        page, "document.getElementById('gauge-state').textContent"
    )
    check_clean(browser, page)
    browser.call("close", name=page)


PRESS_MM = 5.0  # the service's detector: a rise of 5 mm starts a compression
SMOOTH_SAMPLES = 3  # ... on a trace smoothed over +-0.06 s (3 samples at 50 Hz)


def depth_waveform(
    depths: list[float], rate_per_min: float, hz: int
) -> tuple[list[float], list[int], list[int]]:
    """Samples (mm) of one compression per depth (a raised cosine, rest to peak to rest)
    after 1 s at rest, then 1 s at rest. Per compression: the index of the first sample
    back within 5 mm of rest ("returned to rest"), and of the sample from which the
    service can know it is complete (the next compression has risen 5 mm, plus the
    smoothing window; None for the last, which completes after the detector's pause)."""
    period = round(hz * 60 / rate_per_min)
    samples = [0.0] * hz
    back: list[int] = []
    starts: list[int] = []
    for peak in depths:
        start = len(samples)
        starts.append(start)
        cycle = [peak * (1 - math.cos(2 * math.pi * k / period)) / 2 for k in range(period)]
        samples.extend(cycle)
        back.append(start + next(k for k in range(period // 2, period) if cycle[k] <= 5.0))
    samples.extend([0.0] * hz)
    known = [
        nxt + next(k for k in range(period) if samples[nxt + k] >= PRESS_MM) + SMOOTH_SAMPLES
        for nxt in starts[1:]
    ]
    return samples, back, known


@pytest.mark.slow
def test_depth_waveform_over_mqtt_moves_the_depth_meter_per_compression(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path
) -> None:
    body = make_session(web, "cpr-e2e", "wardC", "k2", "cpr", scan_interval_ms=1000)
    kit = Kit(publisher, web, "wardC", "k2")
    kit.status("online")
    page = "cpr-e2e"
    open_page(browser, page, body["learner_url"])
    choose_ready(browser, page)
    browser.js(
        page,
        f"""(() => {{ window.__depths = [];
          const m = {DEPTH_METER};
          const now = () => Number(m.getAttribute('aria-valuenow'));
          const note = () => window.__depths.push([Date.now(), now()]);
          new MutationObserver(note)
            .observe(m, {{ attributes: true, attributeFilter: ['aria-valuenow'] }}); }})()""",
    )
    hz, chunk = 50, 5
    depths = DEPTHS * 6
    samples, back, known = depth_waveform(depths, 100, hz)
    published: list[float] = []  # wall-clock ms of each chunk's publish
    t0 = time.time()
    for k in range(0, len(samples), chunk):
        due = t0 + (k + chunk) / hz  # a chunk is sent once its last sample was measured
        time.sleep(max(0.0, due - time.time()))
        kit.seq += 1
        published.append(time.time() * 1000)
        wave = {"depth_mm": {"rate_hz": hz, "samples": samples[k : k + chunk]}}
        kit.pub.send(
            f"{kit.base}/telemetry", {"ts": t0 + k / hz, "seq": kit.seq, "waveforms": wave}
        )
    kit.pub.flush()
    browser.wait(page, f"window.__depths.length >= {len(depths)}", timeout=5)
    changes = browser.js(page, "window.__depths")
    # The meter changes once per compression (consecutive depths differ), in order.
    assert len(changes) == len(depths), changes
    shown = [value for _, value in changes]
    for n, (depth, value) in enumerate(zip(depths, shown, strict=True)):
        assert abs(value - depth) <= 3, (n, depth, value, shown)
    # Latency per compression but the last (which completes only after the detector's 1 s
    # pause): from the publish of the chunk in which it returned to rest, and from the
    # publish of the chunk that let the service know it was complete.
    count = browser.js(page, "document.getElementById('gauge-count').textContent")
    assert count.endswith(f"of {len(depths)} compressions in target"), count
    assert "% of the time compressing" in browser.js(
        page, "document.getElementById('gauge-ccf').textContent"
    )  # the twin's cpr_ccf, from the session's twin.delta frames
    shoot(browser, page, screenshots / "learn-cpr-live.png")
    from_rest = [changes[n][0] - published[back[n] // chunk] for n in range(len(depths) - 1)]
    from_known = [changes[n][0] - published[known[n] // chunk] for n in range(len(depths) - 1)]
    assert min(from_known) > 0, from_known  # no meter change before its chunk was sent

    def pct(xs: list[float]) -> dict[str, float]:
        return {"p50_ms": statistics.median(xs), "p95_ms": statistics.quantiles(xs, n=20)[-1]}

    record(
        "cpr-meter-latency",
        {
            "compressions": len(depths), "shown_mm": shown,
            "from_rest_chunk": pct(from_rest), "from_completing_chunk": pct(from_known),
            "last_after_pause_ms": changes[-1][0] - published[back[-1] // chunk],
            "from_rest_ms": from_rest, "from_completing_ms": from_known,
        },
    )  # fmt: skip
    check_clean(browser, page)
    browser.call("close", name=page)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_learner_page_with_monitor_and_gauge_passes_axe_in_normal_and_forced_colours(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path, theme: str
) -> None:
    body = make_session(web, f"cpr-axe-{theme}", "wardC", f"k4{theme}", "cpr", theme=theme)
    kit = Kit(publisher, web, "wardC", f"k4{theme}")
    kit.status("online")
    page = f"cpr-axe-{theme}"
    open_page(browser, page, body["learner_url"], route_ws=True)
    choose_ready(browser, page)
    # Vitals in every state: in range, out of range (SpO2 93), alarm (HR 135), and one stale.
    kit.send({"temp_c": 36.8}, ts=time.time() - 30)
    kit.send({"hr": 135, "spo2": 93, "resp_rate": 16, "sbp": 120, "dbp": 80})
    browser.wait(page, "document.querySelectorAll('#vitals .vital').length >= 5", timeout=20)
    t0 = time.time()
    for i, d in enumerate(DEPTHS):
        frame = compression_frame("wardC", f"k4{theme}", d, t0 + i * 0.6, i == 0)
        browser.call("ws_inject", name=page, text=frame)
    browser.wait(page, f"{DEPTH_METER}.getAttribute('aria-valuenow') === '48'")
    browser.wait(page, "document.querySelector('.vital[data-state=\"alarm\"]') !== null")
    results = {"normal": check_axe(browser, page, f"learner page with monitor and gauge, {theme}")}
    shoot(browser, page, screenshots / f"learn-twin-{theme}.png")
    browser.call("emulate", name=page, forced_colors="active")
    browser.wait(page, "matchMedia('(forced-colors: active)').matches")
    results["forced-colors"] = check_axe(
        browser, page, f"monitor and gauge, {theme}, forced colours"
    )
    shoot(browser, page, screenshots / f"learn-twin-{theme}-forced-colors.png")
    record(f"axe-learner-twin-{theme}", results)
    browser.call("emulate", name=page, forced_colors="none")
    check_clean(browser, page)
    browser.call("close", name=page)
