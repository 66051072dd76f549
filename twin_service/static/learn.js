// accesstwin learner page: one session over /ws/sessions/{id}, operable with one switch
// (auto scan) or two (step scan) on the learner's keys or game-controller buttons
// (learn-inputs.js), by pointer or gaze dwell (learn-dwell.js), the arrow keys
// (learn-listbox-keys.js), or a click, with speech and large high-contrast visuals. The
// SERVER runs the scanning state machine; this page shows its highlight (learn-choices.js:
// an APG listbox) and forwards switch presses.
// Plain ES2020 module, no inline code (CSP default-src 'self'). Structure: constants →
// state → frames → render → speech (learn-speech.js) → keys and controls → socket
// (common/socket.js) → start-up. DOM helpers: common/dom.js; the token: common/token.js.
import { $, fmtTime, h, isNum, setText } from './common/dom.js';
import { ReconnectingSocket, socketUrl } from './common/socket.js';
import { INSTRUCTOR_TOKEN_KEY, storedToken, takeToken } from './common/token.js';
import { createMonitor } from './learn-monitor.js';
import { createGauge } from './learn-cpr.js';
import { createCues } from './learn-cues.js';
import { createSpeech } from './learn-speech.js';
import { createInputs, keyLabel } from './learn-inputs.js';
import { createChoices, validGroups } from './learn-choices.js';
import { createDwell } from './learn-dwell.js';
import { createListboxKeys } from './learn-listbox-keys.js';
import { createScanAudio } from './learn-scan-audio.js';

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 15000;
const SETTINGS_ANSWER_MS = 3000;  // how long a settings request waits for the server's answer
const MAX_HISTORY = 12;           // earlier questions and messages listed, newest first
const EXPLAIN_KEEP_MS = 3000;     // an explanation this recent stays beside the next question
const MAX_SPEECH_QUEUE = 4;
// Scan-time choices, ms: docs/domain.md presets 0.75 / 1 / 3 s; WCAG 2.2.1 asks for up to 10x the
// 1 s default (server bounds: accessibility/model.py MIN/MAX_SCAN_INTERVAL_MS, 250-10000).
const SCAN_STEPS_MS = [250, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000, 7500, 10000];
// Local playback-rate factors applied to the server's WAV (nothing is sent to the server).
const SPEECH_FACTORS = [0.5, 0.65, 0.8, 1, 1.2, 1.4, 1.7, 2];
const SEVERITY = { info: ['ℹ\uFE0E', 'learn.sev.info'], warning: ['⚠\uFE0E', 'learn.sev.warning'], critical: ['‼\uFE0E', 'learn.sev.critical'] };
const HEX = /^#[0-9a-f]{6}$/i;
const PREFS_KEY = 'accesstwin.learn.prefs';

import { isRtl, setLanguage, t } from './common/i18n.js';

const fmtSeconds = (ms) => t('learn.seconds', { n: Number((ms / 1000).toFixed(2)) });

// ---------- state ----------
const state = {
  sessionId: null, token: null, connection: 'connecting', started: false,
  switchCount: 1, mode: 'auto', intervalMs: null, adaptive: false, highlighted: null, paused: false,
  choices: [], prompt: null, finished: false, rateWpm: 150,
  groups: null, level: null, group: null, back: false, groupAudio: null, backAudio: null,
  pointerDwellMs: null, auditory: false, startedBy: null,
  speechOn: true, speechFactor: 1, lastIds: [], request: null, log: [], logSeq: 0,
  stats: { frames: 0, played: 0, audioErrors: 0, lastAudio: null },
  scenario: null, step: null, metronomeBpm: null, watching: false,
};
const monitor = createMonitor();
const gauge = createGauge();
const cues = createCues({ beatEl: $('beat'), beatCountEl: $('beat-count') });
const TICK_MS = 250; // staleness of the monitor, "no compressions" of the gauge
const choicesView = createChoices({ list: $('choices'), t, isRtl });
// Dwell on the answers (after Start) and on the page's buttons (Start until it is pressed).
const dwell = createDwell({
  root: $('main'), word: () => t('learn.input.dwell_word'),
  activate: (el) => (el.matches('.choice') ? choose(el.dataset.choice) : el.id === 'start' ? start('dwell') : el.click()),
  enabled: (el) => (el.matches('.choice') ? state.started && !state.finished
    : !el.disabled && !el.closest('[hidden]') && (el.id !== 'start' || !state.started)),
});
const scanAudio = createScanAudio({ state });
const listboxKeys = createListboxKeys({
  list: $('choices'), choose: (id) => choose(id), switchKeys: () => inputs.keys, changed: () => render(),
});
const inputs = createInputs({
  send: (sw, st) => sendSwitch(sw, st), started: () => state.started, start: (via) => start(via), focusHome: () => focusHome(),
  claim: (e, code) => listboxKeys.claim(e, code, state), claimPress: () => listboxKeys.leave(),
});

// ---------- frames ----------
function handleFrame(raw) {
  let f;
  try { f = JSON.parse(raw); } catch { return; }
  if (!f || typeof f !== 'object') return;
  state.stats.frames += 1;
  if (f.type === 'session') applySession(f);
  else if (f.type === 'feedback') applyFeedback(f);
  else if (f.type === 'scan') applyScan(f);
  else if (f.type === 'error') applyError(f);
  else if (f.type === 'twin') { monitor.applyTwin(f); gauge.applyDerived(f.twin?.derived); updatePulse(); }
  else if (f.type === 'twin.delta') { monitor.applyDelta(f); gauge.applyDerived(f.derived); updatePulse(); }
  else if (f.type === 'compression.release') gauge.applyRelease(f);
  else if (f.type === 'compression') gauge.applyCompression(f);
  else if (f.type === 'speech') applySpeech(f);
}

// ---------- the twin: monitor, gauge and cues ----------
// The pulse tone sounds only while SpO2 is fresh (a stale value is no pulse).
function updatePulse() { cues.setPulse(monitor.fresh('spo2'), monitor.fresh('hr')); }
function updateCadence() { // the metronome beats in the compressions step of a scenario that has one
  const on = state.started && !state.finished && state.step === 'compressions' && state.metronomeBpm !== null;
  cues.setMetronome(on ? state.metronomeBpm : null);
}
function applySpeech(f) { // the vitals read out, at the learner's rate (server-side speech)
  setText($('vitals-read'), String(f.text ?? ''));
  speak(f, { interrupt: true });
}

function applySession(f) {
  const p = f.profile && typeof f.profile === 'object' ? f.profile : {};
  if (p.switch_count === 1 || p.switch_count === 2) state.switchCount = p.switch_count;
  if (isNum(p.speech_rate_wpm)) state.rateWpm = p.speech_rate_wpm;
  if (p.speech === false) state.speechOn = false;
  inputs.setProfile(p);
  state.pointerDwellMs = Number.isInteger(p.pointer_dwell_ms) ? p.pointer_dwell_ms : null;
  state.auditory = p.auditory_scan === true;
  dwell.setMs(state.pointerDwellMs);
  if (isNum(p.text_scale)) applyTextScale(p.text_scale);
  // Light or dark before the first feedback frame (whose visual tokens then set the exact theme).
  const root = document.documentElement;
  if ((p.theme === 'light' || p.theme === 'dark') && !(root.dataset.theme ?? '').startsWith(p.theme)) root.dataset.theme = p.theme;
  if (f.finished === true) state.finished = true;
  if (typeof f.scenario === 'string') state.scenario = f.scenario;
  if (typeof f.step === 'string') state.step = f.step;
  state.metronomeBpm = isNum(f.metronome_bpm) && f.metronome_bpm > 0 ? f.metronome_bpm : null;
  cues.setCues(p.cues);
  if (state.scenario === 'cpr') gauge.show({ lab: f.lab, kit: f.kit }); else gauge.hide();
  updateCadence();
  state.session = f;
  // The learner's language (a page reloaded without its link starts in English).
  if (typeof f.lang === 'string') setLanguage(f.lang).then((changed) => { if (changed) { choicesView.reset(); renderChoices(); renderHistory(true); render(); } }).catch(() => {});
  render();
}

function applyFeedback(f) {
  if (f.visual && typeof f.visual === 'object') applyTheme(f.visual);
  // The step comes from questions: an alert replayed to a page that reconnects carries the
  // step it was said in, which may be an earlier one.
  const question = f.topic === 'prompt' || (Array.isArray(f.choices) && f.choices.length > 0);
  if (question && typeof f.step === 'string' && f.step !== state.step) { state.step = f.step; updateCadence(); }
  const resent = typeof f.id === 'string' && state.lastIds.includes(f.id); // resent after a reconnect
  // The same question again (its choices changed: the undo choice left): not a new question.
  const again = state.prompt !== null && f.topic === 'prompt' && f.step === state.prompt.step && f.text === state.prompt.text;
  const seen = resent || again;
  if (typeof f.id === 'string' && !seen) state.lastIds = [...state.lastIds.slice(-49), f.id];
  if (!seen) f.__key = typeof f.id === 'string' ? f.id : `local-${++state.logSeq}`;
  else f.__key = again ? state.prompt.__key : state.log.find((e) => e.id === f.id)?.key ?? f.id;
  if (!seen) logFrame(f);
  if (f.topic === 'prompt' || (Array.isArray(f.choices) && f.choices.length)) {
    state.prompt = f;
    state.choices = (Array.isArray(f.choices) ? f.choices : [])
      .filter((c) => c && typeof c.id === 'string')
      .map((c) => ({ id: c.id, label: String(c.label ?? c.id), audio: typeof c.audio_url === 'string' ? c.audio_url : null }));
    // The groups were of the old choices: the frame's scan block (applied next) has the new ones.
    Object.assign(state, { groups: null, level: null, group: null, back: false, highlighted: null });
    scanAudio.cancel(); // a new question (or an answer judged): the clip playing stops
    dwell.reset();
    // A prompt without choices: the end, unless the server says the session goes on (a
    // CPR compressions step has no choices).
    if (typeof f.finished === 'boolean' ? f.finished : !state.choices.length) state.finished = true;
    updateCadence();
    renderChoices();
    if (!seen) listboxKeys.newQuestion();
  }
  if (!seen) { announce(f); speak(f); }
  if (f.scan && typeof f.scan === 'object') applyScan(f.scan); else render();
}

function applyScan(s) {
  if (['auto', 'step', 'dwell'].includes(s.mode)) state.mode = s.mode;
  if (isNum(s.interval_ms)) state.intervalMs = s.interval_ms;
  if (typeof s.adaptive === 'boolean') state.adaptive = s.adaptive;
  state.highlighted = Number.isInteger(s.highlighted) ? s.highlighted : null;
  // Group scanning (docs/learner-page.md): groups of choice indices, the level, the group.
  state.groups = validGroups(s.groups, state.choices.length);
  state.level = state.groups && (s.level === 'groups' || s.level === 'items') ? s.level : null;
  state.group = state.groups && Number.isInteger(s.group) && s.group < state.groups.length ? s.group : null;
  state.back = state.groups !== null && s.back === true;
  state.groupAudio = Array.isArray(s.group_audio_urls) ? s.group_audio_urls : null;
  state.backAudio = typeof s.back_audio_url === 'string' ? s.back_audio_url : null;
  renderChoices();
  state.paused = s.paused === true;
  const req = state.request;
  if (req && state.intervalMs === req.ms) {
    state.request = null;
    setText($('scan-speed-note'), t('learn.scan_now', { time: fmtSeconds(req.ms) }));
  }
  render();
}

function applyError(f) { // the server refused a frame; only a settings request is waiting for an answer
  if (state.request && Date.now() - state.request.at < SETTINGS_ANSWER_MS) {
    state.request = null;
    setText($('scan-speed-note'), t('learn.scan_refused'));
  }
  console.warn('accesstwin: the server refused a frame:', f.reason);
}

// ---------- render ----------
function applyTheme(v) { // the learner's theme, from the frame's visual tokens (accessibility/theme.py)
  const root = document.documentElement.style;
  const vars = { page_bg: ['--bg', '--page'], page_fg: ['--text', '--muted'], border: ['--border'], focus: ['--focus'], highlight: ['--highlight'] };
  for (const [token, names] of Object.entries(vars)) {
    if (typeof v[token] === 'string' && HEX.test(v[token])) for (const n of names) root.setProperty(n, v[token]);
  }
  if (typeof v.theme === 'string') document.documentElement.dataset.theme = v.theme;
  if (isNum(v.text_scale)) applyTextScale(v.text_scale);
}
const applyTextScale = (x) => document.documentElement.style.setProperty('--text-scale', String(Math.min(3, Math.max(1, x))));

function messageNode(f) {
  const sev = Object.prototype.hasOwnProperty.call(SEVERITY, f.severity) ? f.severity : 'info';
  const [icon, wordKey] = SEVERITY[sev];
  const word = t(wordKey);
  const at = Date.now();
  const key = f.__key ?? '';
  const stamp = h('time', { datetime: new Date(at).toISOString() }, fmtTime(at));
  if (f.topic === 'prompt') { // shown in full in the question card: here a pointer to it (read in full)
    const finished = typeof f.finished === 'boolean' ? f.finished : !f.choices?.length;
    const label = t(f.choices?.length ? 'learn.new_question' : finished ? 'learn.finished_below' : 'learn.next_step_below');
    return h('p', { class: 'msg-body is-prompt', 'data-key': key },
      h('span', { class: 'sev' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '?'), ` ${label}`),
      h('span', { class: 'visually-hidden' }, `: ${String(f.text ?? '')}`), ' ', stamp);
  }
  return h('p', { class: `msg-body sev-${sev}`, 'data-at': String(at), 'data-key': key },
    h('span', { class: 'sev' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), ` ${word}${t('learn.label_sep')}`),
    String(f.text ?? ''), ' ', stamp);
}

// Into the live region that exists since page load; what it replaces stays in the history.
// A new question keeps the answer's explanation that came just before it (same region).
function announce(f) {
  const region = f.severity === 'warning' || f.severity === 'critical' ? $('msg-alert') : $('msg-status');
  const isPrompt = f.topic === 'prompt';
  // Kept: recent messages after the region's last question pointer (the answer just given),
  // never one that already stood beside an earlier question.
  const keep = [];
  for (const old of [...region.children]) {
    if (old.classList.contains('is-prompt')) { keep.length = 0; continue; } // questions stay in the question card
    if (isPrompt && Date.now() - Number(old.dataset.at) < EXPLAIN_KEEP_MS) keep.push(old);
  }
  const v = f.visual || {};
  region.style.setProperty('--msg-fg', HEX.test(v.fg ?? '') ? v.fg : 'var(--text)');
  region.style.setProperty('--msg-bg', HEX.test(v.bg ?? '') ? v.bg : 'var(--bg)');
  region.dataset.severity = f.severity;
  region.replaceChildren(...keep, messageNode(f));
  renderHistory();
}

// ---------- history: every question and message of this page, except what is on screen above ----------
function logFrame(f) {
  const isQuestion = f.topic === 'prompt' || (Array.isArray(f.choices) && f.choices.length > 0);
  const sev = Object.prototype.hasOwnProperty.call(SEVERITY, f.severity) ? f.severity : 'info';
  state.log.push({ key: f.__key, id: typeof f.id === 'string' ? f.id : null, question: isQuestion, final: isQuestion && (typeof f.finished === 'boolean' ? f.finished : !f.choices?.length), sev, text: String(f.text ?? ''), at: Date.now() });
  if (state.log.length > 50) state.log.splice(0, state.log.length - 50);
}

let historySig = '';
function renderHistory(force = false) {
  const current = new Set([state.prompt?.__key,
    ...[...document.querySelectorAll('#msg-alert [data-key], #msg-status [data-key]')].map((e) => e.dataset.key)]);
  const past = state.log.filter((e) => !current.has(e.key)).reverse().slice(0, MAX_HISTORY);
  const sig = past.map((e) => e.key).join('\n');
  if (sig === historySig && !force) return;
  historySig = sig;
  $('history-list').replaceChildren(...past.map((e) => {
    const [icon, wordKey] = e.question ? ['?', e.final ? 'learn.end' : 'learn.question'] : SEVERITY[e.sev];
    const word = t(wordKey);
    return h('li', { class: `history-item ${e.question ? 'is-question' : `sev-${e.sev}`}` },
      h('span', { class: 'sev' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), ` ${word}${t('learn.label_sep')}`),
      e.text, ' ', h('time', { datetime: new Date(e.at).toISOString() }, fmtTime(e.at)));
  }));
  $('no-history').hidden = past.length > 0;
}

function renderChoices() {
  choicesView.build(state.choices, state.groups);
  setText($('prompt-text'), state.prompt ? String(state.prompt.text ?? '') : t('learn.waiting'));
}

function scanHelp() { // in the learner's own keys and buttons
  if (state.finished) return '';
  if (state.watching) return t('learn.help.watching'); // an instructor's presses are not sent
  const k = inputs.keys;
  const names = { select: keyLabel(k.select, t), next: keyLabel(k.next, t) };
  if (!state.started) {
    const start = t('learn.input.help.start', names);
    return state.pointerDwellMs ? `${start} ${t('learn.input.help.pointer_start', { time: fmtSeconds(state.pointerDwellMs) })}` : start;
  }
  if (!state.choices.length) {
    return t(state.step === 'compressions' && !$('gauge').hidden ? 'learn.help.compress' : 'learn.help.wait');
  }
  const parts = [];
  if (listboxKeys.active !== null) parts.push(t('learn.input.help.arrows'));
  else if (state.paused) parts.push(t('learn.input.help.paused', names));
  else if (state.mode === 'step') parts.push(t('learn.input.help.step', names));
  else if (state.mode === 'dwell') parts.push(t('learn.input.help.dwell', names));
  else parts.push(t(state.switchCount === 2 ? 'learn.input.help.auto2' : 'learn.input.help.auto1', names));
  if (state.groups) parts.push(t('learn.group.help'));
  if (inputs.state.pads) parts.push(t('learn.input.help.gamepad', inputs.pad));
  if (state.pointerDwellMs) parts.push(t('learn.input.help.pointer', { time: fmtSeconds(state.pointerDwellMs) }));
  return parts.join(' ');
}

function render() {
  const shown = listboxKeys.view(state); // the server's scan, or the arrow keys' answer in its place
  choicesView.mark(shown);
  scanAudio.update(shown);
  $('start-area').hidden = state.started;
  const list = $('choices');
  if (state.finished && document.activeElement === list) $('main').focus({ preventScroll: true });
  // A list emptied under the focus (the last answer, a CPR step's undo choice leaving) drops
  // it to <body>, where the switch keys reach no control and no outline shows: bring it home.
  if (state.started && (document.activeElement === null || document.activeElement === document.body)) focusHome();
  list.hidden = state.finished;
  $('done').hidden = !state.finished;
  renderTitle();
  setText($('question-h'), t(state.finished ? 'learn.finished' : 'learn.question'));
  setText($('scan-help'), scanHelp());
  setText($('start-hint'), t('learn.input.start_hint', { select: keyLabel(inputs.keys.select, t), next: keyLabel(inputs.keys.next, t) }));
  const timed = state.mode !== 'step';
  $('scan-slower').hidden = $('scan-faster').hidden = !timed;
  const time = state.intervalMs ? fmtSeconds(state.intervalMs) : '—';
  setText($('scan-speed'), !timed ? t('learn.not_timed')
    : state.intervalMs && state.adaptive ? t('learn.adapts', { time }) : time);
  const wpm = Math.round(state.rateWpm * state.speechFactor);
  setText($('speech-speed'), t(state.speechFactor === 1 ? 'learn.speech_rate_own' : 'learn.speech_rate', { wpm }));
  $('speech-toggle').setAttribute('aria-pressed', String(state.speechOn));
  setText($('speech-toggle-icon'), state.speechOn ? '✔\uFE0E' : '✖\uFE0E');
  renderConnection();
}

function renderTitle() { // the scenario's title in the learner's language, from the session frame
  const f = state.session;
  const scenario = f ? String(f.title ?? f.scenario ?? '') : '';
  const what = scenario && f.kit ? t('learn.what', { scenario, kit: f.kit }) : scenario;
  setText($('title'), what ? t('learn.heading_with', { what }) : t('learn.heading'));
  const title = what ? t('learn.doc_title', { what }) : t('learn.page_title');
  if (document.title !== title) document.title = title;
}

function renderConnection() {
  const icons = { live: '●', reconnecting: '↻', offline: '✖\uFE0E', unauthorised: '⛔\uFE0E', invalid: '✖\uFE0E', connecting: '…' };
  const known = Object.hasOwn(icons, state.connection) ? state.connection : 'connecting';
  const [icon, text] = [icons[known], t(`learn.conn.${known}`)];
  $('conn').dataset.state = state.connection;
  document.body.dataset.conn = state.connection;
  setText($('conn-icon'), icon);
  setText($('conn-text'), text);
}

// ---------- speech (learn-speech.js): the server's WAV for each frame, played only after Start ----------
// While anything is spoken the scan's clips wait, then the highlight's clip plays (learn-scan-audio.js).
const speech = createSpeech({ state, cues, maxQueue: MAX_SPEECH_QUEUE, onBusy: (busy) => scanAudio.hold(busy) });
const speak = (f, opts) => speech.speak(f, opts);
const stopSpeech = () => speech.stop();

// ---------- keys and controls ----------
// {"type":"start"} once per Start press; sent when the socket is next live if it is not now.
let startPending = false;
function sendStart() { if (startPending && send({ type: 'start' })) startPending = false; }
function start(via = 'pointer') {
  if (state.started) return;
  state.started = true;
  state.startedBy = via;
  cues.unlock(); // inside the user's gesture (Chromium counts a pad's press as one too): Web Audio may start now
  updateCadence();
  // Inside the user's gesture: browsers allow audio from now on (a dwell is no gesture: see
  // docs/learner-page.md). The prompt first, so the highlight's clip waits for it.
  if (state.prompt) speak(state.prompt);
  startPending = true; // the server restarts a scan that paused before the learner came
  sendStart();
  render();
  focusHome();
}

// The switches' home: the listbox of choices (its aria-activedescendant is the highlight),
// or the main region when there is none.
function focusHome() {
  const list = $('choices');
  (list.hidden || !list.children.length ? $('main') : list).focus({ preventScroll: true });
}

function send(frame) { // an instructor watching the learner's view sends nothing
  return !state.watching && socket !== null && socket.send(JSON.stringify(frame));
}
function sendSwitch(sw, st) { return send({ type: 'switch', switch: sw, state: st, ts: Date.now() / 1000 }); }
function choose(id) { scanAudio.cancel(); return send({ type: 'choose', choice: id }); }

// A pointer click leaves the focus at the switches' home, so that the keys go back to the scanner.
function pointerDone(e) { if (e.detail > 0 && e.currentTarget instanceof HTMLElement) focusHome(); }

function stepFrom(list, value, dir) {
  if (dir > 0) return list.find((x) => x > value) ?? list[list.length - 1];
  return [...list].reverse().find((x) => x < value) ?? list[0];
}
function changeScan(dir) {
  const current = state.intervalMs ?? 1000;
  const ms = stepFrom(SCAN_STEPS_MS, current, dir);
  if (ms === current) { setText($('scan-speed-note'), t(dir > 0 ? 'learn.scan_slowest' : 'learn.scan_fastest')); return; }
  // The frame the server is asked to accept (see the README): {"type":"settings","scan_interval_ms":N}
  if (!send({ type: 'settings', scan_interval_ms: ms })) { setText($('scan-speed-note'), t('learn.scan_not_connected')); return; }
  const request = { ms, at: Date.now() };
  state.request = request;
  setText($('scan-speed-note'), t('learn.scan_asked', { time: fmtSeconds(ms) }));
  setTimeout(() => { // neither confirmed by a scan frame nor refused: say so
    if (state.request === request) { state.request = null; setText($('scan-speed-note'), t('learn.scan_no_answer')); }
  }, SETTINGS_ANSWER_MS);
}
function changeSpeech(dir) {
  state.speechFactor = stepFrom(SPEECH_FACTORS, state.speechFactor, dir);
  speech.setRate(state.speechFactor);
  savePrefs();
  render();
}
function readVitals() {
  if (state.watching) return; // an instructor watching sends nothing to the learner's session
  if (!send({ type: 'read_vitals' })) setText($('vitals-read'), t('learn.monitor.read_not_connected'));
}
function toggleSpeech() {
  state.speechOn = !state.speechOn;
  if (!state.speechOn) stopSpeech();
  savePrefs();
  render();
}

function wireControls() {
  $('start').addEventListener('click', () => start('pointer'));
  $('choices').addEventListener('click', (e) => { // a click or tap on an answer chooses it
    const el = e.target instanceof Element ? e.target.closest('.choice[data-choice]') : null;
    if (el) choose(el.dataset.choice);
  });
  const actions = {
    'scan-slower': () => changeScan(+1), 'scan-faster': () => changeScan(-1),
    'speech-slower': () => changeSpeech(-1), 'speech-faster': () => changeSpeech(+1),
    'speech-toggle': toggleSpeech, 'speech-repeat': () => { if (state.prompt) speak(state.prompt, { interrupt: true }); },
    'read-vitals': readVitals,
  };
  for (const [id, fn] of Object.entries(actions)) {
    $(id).addEventListener('click', (e) => { pointerDone(e); fn(); });
  }
  window.addEventListener('blur', () => inputs.releaseAll());
}

function savePrefs() { // this tab only: speech speed and on/off survive a reload
  try { sessionStorage.setItem(PREFS_KEY, JSON.stringify({ factor: state.speechFactor, on: state.speechOn })); } catch { /* disabled */ }
}
function loadPrefs() {
  let p = null;
  try { p = JSON.parse(sessionStorage.getItem(PREFS_KEY) ?? 'null'); } catch { /* disabled or bad JSON */ }
  if (p && SPEECH_FACTORS.includes(p.factor)) state.speechFactor = p.factor;
  if (p && typeof p.on === 'boolean') state.speechOn = p.on;
}

// ---------- socket (common/socket.js): reconnects by itself, 1 s doubling to 15 s ----------
let socket = null;

function setConnection(c) {
  if (c !== 'live') inputs.clear();
  state.connection = c;
  monitor.setConnection(c);
  renderConnection();
  if (c === 'live') sendStart();
}
function openSocket() {
  socket = new ReconnectingSocket({
    url: () => socketUrl(`/ws/sessions/${encodeURIComponent(state.sessionId)}`, { token: state.token }),
    onFrame: handleFrame, onState: setConnection, minMs: BACKOFF_MIN_MS, maxMs: BACKOFF_MAX_MS, quickRetries: 2,
  });
  socket.connect();
}

// ---------- start-up ----------
function startUp() {
  const m = /^\/learn\/([A-Za-z0-9_-]{1,64})\/?$/.exec(location.pathname);
  state.sessionId = m ? m[1] : null;
  state.token = takeToken(`accesstwin.learn.${state.sessionId}`); // out of the address bar and history
  if (!state.token) { // the dashboard's "learner view": the instructor's token, from this tab's storage
    const instructor = storedToken(INSTRUCTOR_TOKEN_KEY);
    if (instructor) { state.token = instructor; state.watching = true; }
  }
  $('watching').hidden = !state.watching;
  loadPrefs();
  wireControls();
  window.accesstwinLearner = Object.freeze({ // read-only view for tests and debugging (no token)
    get state() {
      const { request, token, ...rest } = state;
      return structuredClone({ ...rest, audio: { rate: speech.rate, paused: speech.paused } });
    },
    get monitor() { return monitor.state; },
    get gauge() { return gauge.state; },
    get cues() { return cues.state; },
    get inputs() { return inputs.state; },
    get dwell() { return dwell.state; },
    get listbox() { return listboxKeys.state; },
    get scanAudio() { return scanAudio.state; },
    get connected() { return state.connection === 'live' && socket !== null && socket.open; },
  });
  render();
  if (!state.sessionId) { setConnection('invalid'); return; }
  $('start').focus({ preventScroll: true });
  setInterval(() => { monitor.tick(); gauge.tick(); updatePulse(); }, TICK_MS);
  openSocket();
}

startUp();
