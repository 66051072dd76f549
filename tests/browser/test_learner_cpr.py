"""The CPR gauge of the learner page, in a real Chromium: the meters "Compression depth" and
"Compression rate" per compression, moved once, by its `compression.release` frame or (not
seen) its `compression` frame, which adds the recoil and the count (injected into the
page's own websocket, and end to end from a depth waveform over MQTT, with the latencies),
"no compressions" when the kit stops, and axe on the page with the monitor and the gauge.
The cues are in test_learner_cues.py."""

from __future__ import annotations

import json
import math
import statistics
import time
from dataclasses import dataclass
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


def compression_frame(
    lab: str, kit: str, depth: float, ts: float, first: bool, recoil: float = 1.0
) -> str:
    rate = None if first else 100.0
    return json.dumps(
        {
            "type": "compression", "lab": lab, "kit": kit, "ts": ts, "depth_mm": depth,
            "recoil_mm": recoil, "interval_s": None if first else 0.6, "rate_per_min": rate,
            "in_target": {
                "depth": 50 <= depth <= 60, "rate": None if first else True,
                "recoil": recoil <= 5.0,
            },
        }
    )  # fmt: skip


def release_frame(lab: str, kit: str, depth: float, ts: float, first: bool) -> str:
    body = json.loads(compression_frame(lab, kit, depth, ts, first))
    del body["recoil_mm"], body["in_target"]["recoil"]
    return json.dumps({**body, "type": "compression.release"})


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


GAUGE_LOG = """(() => { window.__gauge = [];
  const log = (what, el, read) => new MutationObserver(() => window.__gauge.push([what, read()]))
    .observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
  const d = DEPTH_METER, r = RATE_METER, count = document.getElementById('gauge-count'),
    recoil = document.getElementById('gauge-recoil');
  log('depth', d, () => Number(d.getAttribute('aria-valuenow')));
  log('rate', r, () => r.getAttribute('aria-valuetext'));
  log('count', count, () => count.textContent);
  log('recoil', recoil, () => recoil.textContent); })()"""
GAUGE_LOG = GAUGE_LOG.replace("DEPTH_METER", DEPTH_METER).replace("RATE_METER", RATE_METER)


def test_release_frames_move_the_meters_once_and_compression_frames_add_recoil_and_count(
    browser: Browser, web: ServiceProcess
) -> None:
    body = make_session(web, "cpr-rel", "wardC", "k5", "cpr", scan_interval_ms=1000)
    page = "cpr-release"
    open_page(browser, page, body["learner_url"], route_ws=True)
    browser.js(page, GAUGE_LOG)
    t0 = time.time()

    def step(frame: str, until: str) -> list[tuple[str, Any]]:
        """Send one frame; wait until the page shows ``until``; what changed (in order)."""
        before = int(browser.js(page, "window.__gauge.length"))
        browser.call("ws_inject", name=page, text=frame)
        browser.wait(page, until)
        return [tuple(e) for e in browser.js(page, f"window.__gauge.slice({before})")]

    def depth_is(mm: int) -> str:
        return f"{DEPTH_METER}.getAttribute('aria-valuenow') === '{mm}'"

    def count_is(text: str) -> str:
        return f"document.getElementById('gauge-count').textContent === {json.dumps(text)}"

    rel, comp = release_frame, compression_frame
    # At the release: the depth and rate meters, nothing else.
    assert [k for k, _ in step(rel("wardC", "k5", 44, t0, True), depth_is(44))] == [
        "depth", "rate",
    ]  # fmt: skip
    # Its compression frame: recoil and count only; the meters stay as they were.
    got = step(
        comp("wardC", "k5", 44, t0, True, recoil=1), count_is("0 of 1 compressions in target")
    )
    assert sorted(k for k, _ in got) == ["count", "recoil"], got
    assert [k for k, _ in step(rel("wardC", "k5", 52, t0 + 0.6, False), depth_is(52))] == [
        "depth", "rate",
    ]  # fmt: skip
    # A compression frame never moves the meter again for a compression already shown (a
    # depth that differs from its release's would show).
    got = step(
        comp("wardC", "k5", 54, t0 + 0.6, False, recoil=2),
        count_is("1 of 2 compressions in target"),
    )
    assert sorted(k for k, _ in got) == ["count", "recoil"], got
    # One message can release the next before the previous one completes: the meters keep
    # the newer compression.
    step(rel("wardC", "k5", 57, t0 + 1.2, False), depth_is(57))
    step(rel("wardC", "k5", 61, t0 + 1.8, False), depth_is(61))
    got = step(
        comp("wardC", "k5", 57, t0 + 1.2, False, recoil=3),
        count_is("2 of 3 compressions in target"),
    )
    assert "depth" not in [k for k, _ in got], got
    got = step(
        comp("wardC", "k5", 61, t0 + 1.8, False, recoil=8),
        count_is("2 of 4 compressions in target"),
    )
    assert "depth" not in [k for k, _ in got], got
    assert "Not fully released: 8 mm" in browser.js(
        page, "document.getElementById('gauge-recoil').textContent"
    )
    # A compression whose release the page did not see (it had just connected) moves them.
    got = step(
        comp("wardC", "k5", 48, t0 + 2.4, False, recoil=1),
        count_is("2 of 5 compressions in target"),
    )
    assert [v for k, v in got if k == "depth"] == [48], got
    shown = [v for k, v in browser.js(page, "window.__gauge") if k == "depth"]
    assert shown == [44, 52, 57, 61, 48]  # each compression moved the depth meter once
    assert "too shallow" in meter(browser, page, DEPTH_METER)["text"]
    check_clean(browser, page)
    browser.call("close", name=page)


PRESS_MM = 5.0  # the service's detector: a rise of 5 mm starts a compression, a fall of
# 5 mm below its deepest point releases it
SMOOTH_SAMPLES = 3  # ... on a trace smoothed over +-0.06 s (3 samples at 50 Hz)


@dataclass(frozen=True)
class Waveform:
    """Samples (mm) of one compression per depth (a raised cosine, rest to peak to rest)
    after 1 s at rest, then 1 s at rest. Per compression, the index of the sample from
    which the service can know it is released (fallen 5 mm below its peak, plus the
    smoothing window), of the first sample back within 5 mm of rest ("returned to rest"),
    and of the sample from which the service can know it is complete (the next compression
    has risen 5 mm, plus the smoothing window; none for the last, which completes after
    the detector's pause)."""

    samples: list[float]
    released: list[int]
    back: list[int]
    known: list[int]


def depth_waveform(depths: list[float], rate_per_min: float, hz: int) -> Waveform:
    period = round(hz * 60 / rate_per_min)
    samples = [0.0] * hz
    released: list[int] = []
    back: list[int] = []
    starts: list[int] = []
    for peak in depths:
        start = len(samples)
        starts.append(start)
        cycle = [peak * (1 - math.cos(2 * math.pi * k / period)) / 2 for k in range(period)]
        samples.extend(cycle)
        fall = next(k for k in range(period // 2, period) if cycle[k] <= peak - PRESS_MM)
        released.append(start + fall + SMOOTH_SAMPLES)
        back.append(start + next(k for k in range(period // 2, period) if cycle[k] <= 5.0))
    samples.extend([0.0] * hz)
    known = [
        nxt + next(k for k in range(period) if samples[nxt + k] >= PRESS_MM) + SMOOTH_SAMPLES
        for nxt in starts[1:]
    ]
    return Waveform(samples, released, back, known)


WATCH_GAUGE = """(() => { window.__depths = []; window.__counts = [];
  const m = DEPTH_METER, count = document.getElementById('gauge-count');
  const depth = () => Number(m.getAttribute('aria-valuenow'));
  new MutationObserver(() => window.__depths.push([Date.now(), depth()])).observe(m, {
    attributes: true, attributeFilter: ['aria-valuenow'] });
  new MutationObserver(() => window.__counts.push([Date.now(), count.textContent]))
    .observe(count, { childList: true, characterData: true, subtree: true }); })()"""


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
    # Date.now() in the page: the same clock as the publisher's time.time().
    browser.js(page, WATCH_GAUGE.replace("DEPTH_METER", DEPTH_METER))
    hz, chunk = 50, 5
    depths = DEPTHS * 6
    wave = depth_waveform(depths, 100, hz)
    samples = wave.samples
    published: list[float] = []  # wall-clock ms of each chunk's publish
    t0 = time.time()
    for k in range(0, len(samples), chunk):
        due = t0 + (k + chunk) / hz  # a chunk is sent once its last sample was measured
        time.sleep(max(0.0, due - time.time()))
        kit.seq += 1
        published.append(time.time() * 1000)
        waveforms = {"depth_mm": {"rate_hz": hz, "samples": samples[k : k + chunk]}}
        kit.pub.send(
            f"{kit.base}/telemetry", {"ts": t0 + k / hz, "seq": kit.seq, "waveforms": waveforms}
        )
    kit.pub.flush()
    browser.wait(page, f"window.__counts.length >= {len(depths)}", timeout=5)
    changes = browser.js(page, "window.__depths")
    counts = browser.js(page, "window.__counts")
    # The meter moves once per compression (consecutive depths differ), in order, to its
    # depth: at its release; its compression frame (recoil, count) does not move it again.
    assert len(changes) == len(depths), changes
    shown = [value for _, value in changes]
    for n, (depth, value) in enumerate(zip(depths, shown, strict=True)):
        assert abs(value - depth) <= 3, (n, depth, value, shown)
    assert len(counts) == len(depths), counts  # the count: once per compression frame
    assert counts[-1][1].endswith(f"of {len(depths)} compressions in target"), counts
    assert "% of the time compressing" in browser.js(
        page, "document.getElementById('gauge-ccf').textContent"
    )  # the twin's cpr_ccf, from the session's twin.delta frames
    shoot(browser, page, screenshots / "learn-cpr-live.png")
    # Latencies, from the publish of a chunk: the meter from the chunk in which the
    # compression returned to rest (the goal; negative: shown before the chest was back)
    # and from the chunk that let the service know of its release; the count (and recoil)
    # from the chunk that let it know the compression was complete (all but the last,
    # which completes after the detector's 1 s pause).
    n = len(depths)
    sent = [published[i // chunk] for i in range(len(samples))]
    from_rest = [changes[i][0] - sent[wave.back[i]] for i in range(n)]
    from_release = [changes[i][0] - sent[wave.released[i]] for i in range(n)]
    from_known = [counts[i][0] - sent[wave.known[i]] for i in range(n - 1)]
    assert min(from_release) > 0, from_release  # no meter change before its chunk was sent
    assert min(from_known) > 0, from_known  # no count before its compression was complete
    assert all(c[0] >= m[0] for m, c in zip(changes, counts, strict=True))  # release first
    # The last compression completes only after the detector's 1 s pause, but its release
    # moved the meter at once (a page moving it on `compression` frames fails this).
    assert counts[-1][0] - changes[-1][0] >= 250, (changes[-1], counts[-1])

    def pct(xs: list[float]) -> dict[str, float]:
        return {"p50_ms": statistics.median(xs), "p95_ms": statistics.quantiles(xs, n=20)[-1]}

    record(
        "cpr-meter-latency",
        {
            "compressions": n, "shown_mm": shown,
            "meter_from_rest_chunk": pct(from_rest),
            "meter_from_release_chunk": pct(from_release),
            "count_from_completing_chunk": pct(from_known),
            "last_count_after_pause_ms": counts[-1][0] - sent[wave.back[-1]],
            "from_rest_ms": from_rest, "from_release_ms": from_release,
            "count_from_completing_ms": from_known,
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


def test_gauge_words_are_in_the_learners_language(
    browser: Browser, web: ServiceProcess, screenshots: Path
) -> None:
    """An Arabic learner's gauge: the meters' names, their value texts, the count, the
    release line and "no compressions" are the catalogue's words (learn.gauge.*), the
    numbers Western digits; axe-core 0 violations on the right-to-left page."""
    from twin_service.messages import catalogue_file

    words = catalogue_file("ar")
    body = make_session(web, "cpr-g-ar", "wardCA", "k1", "cpr", language="ar")
    page = "cpr-gauge-ar"
    browser.call("open", name=page, url=body["learner_url"], route_ws=True)
    browser.wait(page, "window.accesstwinLearner && window.accesstwinLearner.connected")
    assert browser.js(page, "document.documentElement.dir") == "rtl"
    name = json.dumps(words["learn.gauge.depth_label"])
    depth_meter = METER.format(name=name)
    assert (
        browser.js(page, f"{depth_meter}.getAttribute('aria-valuetext')")
        == words["learn.gauge.none_yet"]
    )
    t0 = time.time()
    for i, d in enumerate(DEPTHS):
        browser.call(
            "ws_inject", name=page, text=compression_frame("wardCA", "k1", d, t0 + i * 0.6, i == 0)
        )
        browser.wait(page, f"{depth_meter}.getAttribute('aria-valuenow') === '{d}'")
    count = browser.js(page, "document.getElementById('gauge-count').textContent")
    assert count == words["learn.gauge.count"].format(in_target=2, count=5), count
    text = browser.js(page, f"{depth_meter}.getAttribute('aria-valuetext')")
    assert text == words["learn.gauge.valuetext"].format(
        value=48, unit="mm", word=words["learn.gauge.too_shallow"]
    ), text
    recoil = browser.js(page, "document.getElementById('gauge-recoil').textContent")
    assert words["learn.gauge.released"].format(mm=1) in recoil, recoil
    check_axe(browser, page, "learner CPR gauge (ar)")
    shoot(browser, page, screenshots / "learn-cpr-gauge-ar.png")
    none = json.dumps(words["learn.gauge.none"])
    browser.wait(page, f"{depth_meter}.getAttribute('aria-valuetext') === {none}", timeout=6)
    check_clean(browser, page)
    browser.call("close", name=page)
