// accesstwin learner page: cadence and alarm cues in sound, sight and touch, each switchable
// per learner (profile `cues`):
// - metronome_sound: a click per beat at the scenario's metronome_bpm through Web Audio,
//   scheduled ahead on the AudioContext clock (a look-ahead scheduler, so timers that run
//   late do not move the beat); ducked while speech plays, so the two never mask each other;
// - metronome_visual: a beat mark that lights per beat, never more than 3 times a second
//   (WCAG 2.3.1); under prefers-reduced-motion it does not flash: a still mark and a counter;
// - haptic: a short rumble per beat on a connected gamepad (Gamepad API vibrationActuator),
//   or navigator.vibrate where present, and a long one before a critical message;
// - spo2_tone: a tone per heartbeat whose pitch falls one semitone per percent of SpO2 below
//   100 % (bedside monitors' convention; docs/domain.md "Pulse oximetry signal quality"), off by default;
// - earcon: a falling two-tone before a critical message (then its speech).
// Audio starts only after the page's Start gesture (browsers' autoplay rule).
import { isNum, isPlainObject } from './common/dom.js';

export const DEFAULT_CUES = Object.freeze({ metronome_sound: true, metronome_visual: true, haptic: true, spo2_tone: false, earcon: true });
const LOOKAHEAD_S = 0.12;         // beats are scheduled this far ahead
const SCHEDULER_MS = 25;
const CLICK_S = 0.03;
const BEAT_GAIN = 0.5;
const DUCKED_GAIN = 0.12;         // the beat while speech plays (about -12 dB)
const MAX_FLASH_HZ = 3;           // WCAG 2.3.1: never more than three flashes a second
const FLASH_MS = 120;
const TONE_BASE_HZ = 880;         // SpO2 100 %; one semitone lower per percent below
const MAX_LOG = 2000;

export function createCues({ beatEl, beatCountEl } = {}) {
  const c = {
    cues: { ...DEFAULT_CUES }, bpm: null, running: false, ctx: null, master: null, beatGain: null,
    nextBeat: null, beatNo: 0, timer: null, lastFlash: -Infinity, ducked: false,
    tone: { spo2: null, hr: null, next: null },
    stats: { beats: [], flashes: [], haptics: 0, earcons: 0, tones: 0, toneHz: [], reducedMotion: false },
  };
  const reduce = matchMedia('(prefers-reduced-motion: reduce)');

  function log(list, t) { list.push(t); if (list.length > MAX_LOG) list.splice(0, list.length - MAX_LOG); }
  const now = () => (c.ctx ? c.ctx.currentTime : performance.now() / 1000);

  /** Inside the Start gesture: the AudioContext may only start then. */
  function unlock() {
    if (c.ctx) return;
    const AC = window.AudioContext ?? window.webkitAudioContext;
    if (!AC) return;
    try {
      c.ctx = new AC({ latencyHint: 'interactive' });
      c.master = c.ctx.createGain();
      c.master.connect(c.ctx.destination);
      c.beatGain = c.ctx.createGain();
      c.beatGain.gain.value = c.ducked ? DUCKED_GAIN : BEAT_GAIN;
      c.beatGain.connect(c.master);
      c.ctx.resume?.();
    } catch { c.ctx = null; }
    restart();
  }

  function setCues(cues) {
    if (!isPlainObject(cues)) return;
    for (const k of Object.keys(DEFAULT_CUES)) if (typeof cues[k] === 'boolean') c.cues[k] = cues[k];
    restart();
  }
  function setMetronome(bpm) { // null/0: off
    const b = isNum(bpm) && bpm > 0 ? bpm : null;
    if (b === c.bpm) return;
    c.bpm = b;
    restart();
  }
  function setPulse(spo2, hr) { c.tone.spo2 = isNum(spo2) ? spo2 : null; c.tone.hr = isNum(hr) && hr > 0 ? hr : null; restart(); }

  function wanted() {
    const beat = c.bpm !== null && ((c.cues.metronome_sound && c.ctx !== null) || c.cues.metronome_visual || c.cues.haptic);
    const tone = Boolean(c.ctx && c.cues.spo2_tone && c.tone.spo2 !== null);
    return { beat, tone };
  }
  function restart() {
    const w = wanted();
    if (!w.beat) { c.nextBeat = null; c.beatNo = 0; }
    else if (c.nextBeat === null) c.nextBeat = now() + 0.05;
    if (!w.tone) c.tone.next = null;
    else if (c.tone.next === null) c.tone.next = now() + 0.05;
    const run = w.beat || w.tone;
    if (run && c.timer === null) c.timer = setInterval(schedule, SCHEDULER_MS);
    if (!run && c.timer !== null) { clearInterval(c.timer); c.timer = null; }
    c.running = run;
    if (beatEl) beatEl.hidden = !(c.bpm !== null && c.cues.metronome_visual);
  }

  function schedule() {
    const t = now();
    while (c.nextBeat !== null && c.nextBeat < t + LOOKAHEAD_S) {
      const at = Math.max(c.nextBeat, t);
      beat(at, t);
      c.nextBeat += 60 / c.bpm;
    }
    while (c.tone.next !== null && c.tone.next < t + LOOKAHEAD_S) {
      pulseTone(Math.max(c.tone.next, t));
      c.tone.next += 60 / (c.tone.hr ?? 60);
    }
  }

  function beep(at, hz, dur, gainNode, peak = 1, type = 'square') {
    if (!c.ctx) return;
    const osc = c.ctx.createOscillator();
    const env = c.ctx.createGain();
    osc.type = type;
    osc.frequency.value = hz;
    env.gain.setValueAtTime(0, at);
    env.gain.linearRampToValueAtTime(peak, at + 0.004);
    env.gain.exponentialRampToValueAtTime(0.0001, at + dur);
    osc.connect(env).connect(gainNode);
    osc.start(at);
    osc.stop(at + dur + 0.01);
  }

  function beat(at, t) {
    c.beatNo += 1;
    log(c.stats.beats, at);
    if (c.ctx && c.cues.metronome_sound) beep(at, c.beatNo % 2 ? 1200 : 1000, CLICK_S, c.beatGain);
    const delayMs = Math.max(0, (at - t) * 1000);
    if (c.cues.metronome_visual && beatEl) setTimeout(() => flash(), delayMs);
    if (c.cues.haptic) setTimeout(() => rumble(40, 0.5), delayMs);
  }

  function flash() {
    const t = performance.now();
    c.stats.reducedMotion = reduce.matches;
    if (beatCountEl) beatCountEl.textContent = String(((c.beatNo - 1) % 4) + 1);
    if (reduce.matches) { beatEl.dataset.mode = 'still'; return; } // no flashing: the counter only
    beatEl.dataset.mode = 'flash';
    if (t - c.lastFlash < 1000 / MAX_FLASH_HZ) return; // a faster beat skips flashes
    c.lastFlash = t;
    log(c.stats.flashes, t);
    beatEl.classList.add('is-on');
    setTimeout(() => beatEl.classList.remove('is-on'), FLASH_MS);
  }

  function rumble(ms, strength) {
    let done = false;
    for (const pad of navigator.getGamepads?.() ?? []) {
      const act = pad?.vibrationActuator;
      if (act?.playEffect) {
        act.playEffect('dual-rumble', { duration: ms, strongMagnitude: strength, weakMagnitude: strength / 2 }).catch(() => {});
        done = true;
      }
    }
    if (!done && typeof navigator.vibrate === 'function') { try { done = navigator.vibrate(ms); } catch { /* not allowed */ } }
    if (done) c.stats.haptics += 1;
  }

  function toneHz(spo2) { return TONE_BASE_HZ * 2 ** ((Math.min(100, Math.max(50, spo2)) - 100) / 12); }
  function pulseTone(at) {
    const hz = toneHz(c.tone.spo2);
    c.stats.tones += 1;
    log(c.stats.toneHz, Math.round(hz * 10) / 10);
    beep(at, hz, 0.09, c.master, 0.25, 'sine');
  }

  /** Before a critical message: the earcon (and a long rumble); resolves when it is over. */
  function alarm() {
    if (c.cues.haptic) rumble(400, 1);
    if (!c.cues.earcon || !c.ctx) return Promise.resolve();
    c.stats.earcons += 1;
    const t = c.ctx.currentTime + 0.01;
    beep(t, 988, 0.16, c.master, 0.5, 'triangle');
    beep(t + 0.18, 659, 0.22, c.master, 0.5, 'triangle');
    return new Promise((r) => setTimeout(r, 450));
  }

  function duck(on) {
    c.ducked = on;
    if (c.beatGain && c.ctx) c.beatGain.gain.setTargetAtTime(on ? DUCKED_GAIN : BEAT_GAIN, c.ctx.currentTime, 0.03);
  }

  return {
    unlock, setCues, setMetronome, setPulse, alarm, duck, toneHz,
    get state() {
      return structuredClone({
        cues: c.cues, bpm: c.bpm, running: c.running, audio: c.ctx ? c.ctx.state : null, audioTime: c.ctx ? c.ctx.currentTime : null,
        ducked: c.ducked, gain: c.beatGain ? c.beatGain.gain.value : null, stats: c.stats,
      });
    },
  };
}
