"""The cadence and alarm cues of the learner page (profile `cues`), in a real Chromium: the
Web Audio metronome at the scenario's metronome_bpm, the visual beat (<= 3 Hz; still under
reduced motion), the SpO2 tone's pitch, ducking while speech plays, the earcon."""

from __future__ import annotations

import itertools
import time

import pytest

from tests.browser.driver import Browser
from tests.browser.helpers import DETERIORATING, MOTION, Kit, check_clean, record
from tests.browser.learner_view import LEARNER, choose_ready, make_session, open_page
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.mark.slow
def test_metronome_beats_at_the_scenarios_bpm_and_the_visual_beat_stays_under_3_hz(
    browser: Browser, web: ServiceProcess
) -> None:
    body = make_session(web, "cpr-met", "wardC", "k3", "cpr", scan_interval_ms=1000)
    page = "cpr-metronome"
    open_page(browser, page, body["learner_url"])
    choose_ready(browser, page)
    browser.wait(page, f"{LEARNER}.cues.running && {LEARNER}.cues.bpm === 110")
    cues = browser.js(page, f"{LEARNER}.cues")
    assert cues["audio"] == "running", cues  # Chromium's audio output (a fake device when headless)
    start_audio = browser.js(page, f"{LEARNER}.cues.audioTime")
    start_wall = time.monotonic()
    time.sleep(30.5)
    cues = browser.js(page, f"{LEARNER}.cues")
    # The audio clock is real: it ran as long as the wall clock (no accelerated context).
    ran = cues["audioTime"] - start_audio
    assert abs(ran - (time.monotonic() - start_wall)) < 0.5, ran
    beats = [t for t in cues["stats"]["beats"] if start_audio <= t <= start_audio + 30]
    rate = (len(beats) - 1) / (beats[-1] - beats[0]) * 60
    assert 108 <= rate <= 112, rate
    assert 53 <= len(beats) <= 57, len(beats)  # 110/min for 30 s = 55
    flashes = cues["stats"]["flashes"]
    gaps = [b - a for a, b in itertools.pairwise(flashes)]
    assert len(flashes) >= 50 and min(gaps) >= 1000 / 3 - 1, (len(flashes), min(gaps))
    per_second = max(sum(1 for t in flashes if s <= t < s + 1000) for s in flashes)
    assert per_second <= 3, per_second
    record(
        "metronome", {"bpm_measured": rate, "beats_30s": len(beats), "flash_min_gap_ms": min(gaps)}
    )
    # Reduced motion: the beat mark no longer lights up (the counter beside it still counts).
    browser.call("emulate", name=page, reduced_motion="reduce")
    browser.js(
        page,
        """(() => { window.__flash = 0; const b = document.getElementById('beat');
          new MutationObserver(() => { if (b.classList.contains('is-on')) window.__flash += 1; })
            .observe(b, { attributes: true, attributeFilter: ['class'] }); })()""",
    )
    time.sleep(2)
    assert browser.js(page, "window.__flash") == 0
    assert browser.js(page, "document.getElementById('beat').dataset.mode") == "still"
    assert browser.js(page, MOTION) == []
    assert browser.js(page, f"{LEARNER}.cues.stats.beats.length") > len(cues["stats"]["beats"])
    check_clean(browser, page)
    browser.call("close", name=page)


def test_cues_follow_the_profile_tone_pitch_falls_with_spo2_earcon_and_ducking(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    cues = {"spo2_tone": True, "metronome_visual": False}
    body = make_session(web, "cpr-cues", "wardC", "k5", "cpr", cues=cues)
    kit = Kit(publisher, web, "wardC", "k5")
    kit.status("online")
    page = "cpr-cues"
    open_page(browser, page, body["learner_url"])
    choose_ready(browser, page)
    got = browser.wait(page, f"{LEARNER}.cues.running && {LEARNER}.cues")
    assert got["cues"] == {
        "metronome_sound": True, "metronome_visual": False, "haptic": True,
        "spo2_tone": True, "earcon": True,
    }  # fmt: skip
    assert browser.js(page, "document.getElementById('beat').hidden") is True  # no visual beat
    # Speech and the beat do not mask each other: the beat is ducked while the prompt plays.
    browser.wait(page, f"{LEARNER}.cues.ducked && {LEARNER}.cues.gain < 0.2", timeout=20)
    browser.wait(page, f"!{LEARNER}.cues.ducked && {LEARNER}.cues.gain > 0.4", timeout=30)
    # The pulse tone: one per heartbeat, its pitch one semitone lower per percent of SpO2.
    kit.send({"hr": 120, "spo2": 97})
    browser.wait(page, f"{LEARNER}.cues.stats.toneHz.at(-1) === 740", timeout=5)  # 880·2^(-3/12)
    kit.send({"hr": 120, "spo2": 90})
    browser.wait(page, f"{LEARNER}.cues.stats.toneHz.at(-1) === 493.9", timeout=5)  # 10 lower
    check_clean(browser, page)
    browser.call("close", name=page)


def test_a_critical_message_comes_after_an_earcon(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = make_session(web, "cue-earcon", "wardC", "k6", "vitals", scan_interval_ms=3000)
    kit = Kit(publisher, web, "wardC", "k6")
    kit.status("online")
    page = "cue-earcon"
    open_page(browser, page, body["learner_url"])
    browser.call("key", name=page, key="Space")  # Start
    browser.wait(page, f"{LEARNER}.state.started")
    assert browser.js(page, f"{LEARNER}.cues.stats.earcons") == 0
    kit.send(DETERIORATING)  # the monitor alarm: critical
    browser.wait(page, "document.getElementById('msg-alert').textContent.includes('Critical')")
    browser.wait(page, f"{LEARNER}.cues.stats.earcons === 1")
    browser.wait(page, f"{LEARNER}.state.stats.played >= 1", timeout=20)  # then the speech
    check_clean(browser, page)
    browser.call("close", name=page)


def test_a_beat_faster_than_3_hz_flashes_at_most_3_times_a_second(
    browser: Browser, web: ServiceProcess
) -> None:
    """The cues module alone (learn-cues.js, imported into a page): at 240/min (4 Hz) the
    beat mark lights at most 3 times in any second, though every beat is still counted."""
    body = make_session(web, "cue-fast", "wardC", "k7", "cpr")
    page = "cue-fast"
    open_page(browser, page, body["learner_url"])
    browser.js(
        page,
        """(async () => {
          const { createCues } = await import('/static/learn-cues.js');
          const beat = document.createElement('div');
          const count = document.createElement('span');
          document.body.append(beat, count);
          const cues = createCues({ beatEl: beat, beatCountEl: count });
          cues.setCues({ metronome_sound: false, haptic: false, metronome_visual: true });
          cues.setMetronome(240);
          window.__fast = cues;
        })()""",
    )
    time.sleep(3.2)
    stats = browser.js(
        page, "(() => { window.__fast.setMetronome(null); return window.__fast.state.stats; })()"
    )
    beats, flashes = stats["beats"], stats["flashes"]
    assert len(beats) >= 12, len(beats)  # 4 a second
    per_second = max(sum(1 for t in flashes if s <= t < s + 1000) for s in flashes)
    assert per_second <= 3, flashes
    assert len(flashes) >= 6, flashes  # it still flashes (every other beat: 2 Hz)
    browser.call("close", name=page)
