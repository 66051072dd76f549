// accesstwin learner page: one session over /ws/sessions/{id}, operable with one switch
// (Space, auto scan) or two (Space = next, Enter = select, step scan), with speech and
// large high-contrast visuals. The SERVER runs the scanning state machine; this page
// shows its highlight and forwards switch presses. Plain ES2020 module, no inline code
// (CSP default-src 'self'). Structure: constants → state → frames → render → speech →
// keys and controls → socket manager → start-up.

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 15000;
const AUTH_CLOSE_CODES = new Set([1008, 4401, 4403]);
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

import { isRtl, lang, setLanguage, t } from './common/i18n.js';

const $ = (id) => document.getElementById(id);
const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
// Times and numbers in the digits the monitor shows (docs/languages.md), in the page's language.
const timeFmt = () => new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : lang(), { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, numberingSystem: 'latn' });
const fmtTime = (ms) => timeFmt().format(new Date(ms));
const fmtSeconds = (ms) => t('learn.seconds', { n: Number((ms / 1000).toFixed(2)) });
function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, v);
  el.append(...kids);
  return el;
}
function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

// ---------- state ----------
const state = {
  sessionId: null, token: null, connection: 'connecting', started: false,
  switchCount: 1, mode: 'auto', intervalMs: null, adaptive: false, highlighted: null, paused: false,
  choices: [], prompt: null, finished: false, rateWpm: 150,
  speechOn: true, speechFactor: 1, pressed: new Map(), lastIds: [], request: null, log: [], logSeq: 0,
  stats: { frames: 0, played: 0, audioErrors: 0, lastAudio: null },
};

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
}

function applySession(f) {
  const p = f.profile && typeof f.profile === 'object' ? f.profile : {};
  if (p.switch_count === 1 || p.switch_count === 2) state.switchCount = p.switch_count;
  if (isNum(p.speech_rate_wpm)) state.rateWpm = p.speech_rate_wpm;
  if (p.speech === false) state.speechOn = false;
  if (isNum(p.text_scale)) applyTextScale(p.text_scale);
  // Light or dark before the first feedback frame (whose visual tokens then set the exact theme).
  const root = document.documentElement;
  if ((p.theme === 'light' || p.theme === 'dark') && !(root.dataset.theme ?? '').startsWith(p.theme)) root.dataset.theme = p.theme;
  if (f.finished === true) state.finished = true;
  state.session = f;
  // The learner's language (a page reloaded without its link starts in English).
  if (typeof f.lang === 'string') setLanguage(f.lang).then((changed) => { if (changed) { renderChoices(); renderHistory(true); render(); } }).catch(() => {});
  render();
}

function applyFeedback(f) {
  if (f.visual && typeof f.visual === 'object') applyTheme(f.visual);
  const seen = typeof f.id === 'string' && state.lastIds.includes(f.id); // resent after a reconnect
  if (typeof f.id === 'string' && !seen) state.lastIds = [...state.lastIds.slice(-49), f.id];
  if (!seen) f.__key = typeof f.id === 'string' ? f.id : `local-${++state.logSeq}`;
  else f.__key = state.log.find((e) => e.id === f.id)?.key ?? f.id;
  if (!seen) logFrame(f);
  if (f.topic === 'prompt' || (Array.isArray(f.choices) && f.choices.length)) {
    state.prompt = f;
    state.choices = (Array.isArray(f.choices) ? f.choices : [])
      .filter((c) => c && typeof c.id === 'string').map((c) => ({ id: c.id, label: String(c.label ?? c.id) }));
    if (!state.choices.length) state.finished = true;
    renderChoices();
  }
  if (!seen) { announce(f); speak(f); }
  if (f.scan && typeof f.scan === 'object') applyScan(f.scan); else render();
}

function applyScan(s) {
  if (['auto', 'step', 'dwell'].includes(s.mode)) state.mode = s.mode;
  if (isNum(s.interval_ms)) state.intervalMs = s.interval_ms;
  if (typeof s.adaptive === 'boolean') state.adaptive = s.adaptive;
  state.highlighted = Number.isInteger(s.highlighted) ? s.highlighted : null;
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
    const label = t(f.choices?.length ? 'learn.new_question' : 'learn.finished_below');
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
  state.log.push({ key: f.__key, id: typeof f.id === 'string' ? f.id : null, question: isQuestion, final: isQuestion && !f.choices?.length, sev, text: String(f.text ?? ''), at: Date.now() });
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
  const list = $('choices');
  list.replaceChildren(...state.choices.map((c, i) => h('li', {},
    h('button', { type: 'button', class: 'choice', 'data-choice': c.id, 'data-index': String(i) },
      h('span', { class: 'marker', 'aria-hidden': 'true' }, isRtl() ? '◀\uFE0E' : '▶\uFE0E'), h('span', { class: 'choice-label' }, c.label)))));
  setText($('prompt-text'), state.prompt ? String(state.prompt.text ?? '') : t('learn.waiting'));
}

function scanHelp() {
  if (state.finished) return '';
  if (!state.started) return t('learn.help.start');
  if (!state.choices.length) return t('learn.help.wait');
  if (state.paused) return t('learn.help.paused');
  if (state.mode === 'step') return t('learn.help.step');
  if (state.mode === 'dwell') return t('learn.help.dwell');
  return t(state.switchCount === 2 ? 'learn.help.auto2' : 'learn.help.auto1');
}

function render() {
  for (const btn of $('choices').querySelectorAll('.choice')) {
    const on = Number(btn.dataset.index) === state.highlighted;
    btn.classList.toggle('is-scanned', on);
    if (on) btn.setAttribute('aria-current', 'true'); else btn.removeAttribute('aria-current');
  }
  $('start-area').hidden = state.started;
  $('choices').hidden = state.finished;
  $('done').hidden = !state.finished;
  renderTitle();
  setText($('question-h'), t(state.finished ? 'learn.finished' : 'learn.question'));
  setText($('scan-help'), scanHelp());
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

// ---------- speech: the server's WAV for each frame, played only after Start ----------
const audio = new Audio();
const speechQueue = [];
let speaking = false;

function audioUrl(f) {
  const path = f?.speech?.audio_url;
  if (typeof path !== 'string' || !f.speech.enabled) return null;
  const url = new URL(path, location.origin);
  if (url.origin !== location.origin) return null;
  if (state.token) url.searchParams.set('token', state.token);
  return url.pathname + url.search;
}
function speak(f, { interrupt = f?.severity === 'critical' } = {}) {
  const url = audioUrl(f);
  if (!url || !state.started || !state.speechOn) return;
  if (interrupt) { speechQueue.length = 0; audio.pause(); speaking = false; }
  // A newer message on a topic supersedes one still waiting ("Rate is good now" drops a
  // queued "Too slow"): a correction that is no longer true is not spoken.
  const topic = typeof f.topic === 'string' && f.topic !== 'prompt' ? f.topic : null;
  if (topic) for (let i = speechQueue.length - 1; i >= 0; i -= 1) if (speechQueue[i].topic === topic) speechQueue.splice(i, 1);
  speechQueue.push({ url, topic });
  if (speechQueue.length > MAX_SPEECH_QUEUE) speechQueue.splice(0, speechQueue.length - MAX_SPEECH_QUEUE);
  if (!speaking) playNext();
}
function playNext() {
  const url = speechQueue.shift()?.url;
  speaking = Boolean(url);
  if (!url) return;
  state.stats.lastAudio = url;
  audio.src = url;
  audio.defaultPlaybackRate = audio.playbackRate = state.speechFactor; // a new src resets the rate
  audio.play().catch(() => { state.stats.audioErrors += 1; playNext(); });
}
audio.addEventListener('playing', () => { state.stats.played += 1; });
audio.addEventListener('ended', playNext);
audio.addEventListener('error', () => { state.stats.audioErrors += 1; playNext(); });
function stopSpeech() { speechQueue.length = 0; audio.pause(); speaking = false; }

// ---------- keys and controls ----------
function start() {
  if (state.started) return;
  state.started = true;
  render();
  $('main').focus({ preventScroll: true });
  if (state.prompt) speak(state.prompt); // inside the user's gesture: browsers allow audio from now on
}

function switchFor(key) { // one switch: Space selects; two: Space = next, Enter = select (dwell: any press moves)
  if (key === 'Enter') return 'select';
  return state.switchCount === 2 && state.mode !== 'dwell' ? 'next' : 'select';
}

function send(frame) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(frame));
  return true;
}
function sendSwitch(sw, st) { return send({ type: 'switch', switch: sw, state: st, ts: Date.now() / 1000 }); }

const keyName = (e) => (e.key === ' ' || e.key === 'Spacebar' ? 'Space' : e.key);
function onKeyDown(e) {
  if (e.ctrlKey || e.altKey || e.metaKey) return;
  const key = keyName(e);
  if (key === 'Escape') { $('main').focus({ preventScroll: true }); return; }
  if (key !== 'Space' && key !== 'Enter') return;
  if (e.repeat) { e.preventDefault(); return; } // a held switch is one press: auto-repeat is ignored
  if (!state.started) { e.preventDefault(); start(); return; }
  // A control reached with Tab keeps its usual Space/Enter behaviour (keyboard users).
  if (e.target instanceof Element && e.target.closest('button, a, summary, input, select, textarea')) return;
  e.preventDefault(); // Space must not scroll the page
  if (state.pressed.has(key)) return;
  const sw = switchFor(key);
  state.pressed.set(key, sw);
  sendSwitch(sw, 'down');
}
function onKeyUp(e) {
  const key = keyName(e);
  const sw = state.pressed.get(key);
  if (sw === undefined) return;
  e.preventDefault();
  state.pressed.delete(key);
  sendSwitch(sw, 'up');
}
function releaseAll() { for (const [key, sw] of state.pressed) { state.pressed.delete(key); sendSwitch(sw, 'up'); } }

// A pointer click leaves no focus behind, so that Space goes back to the switch scanner.
function pointerDone(e) { if (e.detail > 0 && e.currentTarget instanceof HTMLElement) e.currentTarget.blur(); }

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
  audio.defaultPlaybackRate = audio.playbackRate = state.speechFactor;
  savePrefs();
  render();
}
function toggleSpeech() {
  state.speechOn = !state.speechOn;
  if (!state.speechOn) stopSpeech();
  savePrefs();
  render();
}

function wireControls() {
  $('start').addEventListener('click', start);
  $('choices').addEventListener('click', (e) => {
    const btn = e.target instanceof Element ? e.target.closest('.choice') : null;
    if (!btn) return;
    if (e.detail > 0) btn.blur();
    send({ type: 'choose', choice: btn.dataset.choice });
  });
  const actions = {
    'scan-slower': () => changeScan(+1), 'scan-faster': () => changeScan(-1),
    'speech-slower': () => changeSpeech(-1), 'speech-faster': () => changeSpeech(+1),
    'speech-toggle': toggleSpeech, 'speech-repeat': () => { if (state.prompt) speak(state.prompt, { interrupt: true }); },
  };
  for (const [id, fn] of Object.entries(actions)) {
    $(id).addEventListener('click', (e) => { pointerDone(e); fn(); });
  }
  document.addEventListener('keydown', onKeyDown);
  document.addEventListener('keyup', onKeyUp);
  window.addEventListener('blur', releaseAll);
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

// ---------- socket manager: reconnects by itself with backoff ----------
let socket = null, attempt = 0, retryTimer = null, stopped = false;

function setConnection(c) { state.connection = c; renderConnection(); }
function connect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = state.token ? `?token=${encodeURIComponent(state.token)}` : '';
  let ws;
  try { ws = new WebSocket(`${proto}//${location.host}/ws/sessions/${encodeURIComponent(state.sessionId)}${query}`); }
  catch { scheduleReconnect(); return; }
  socket = ws;
  ws.onmessage = (ev) => {
    if (state.connection !== 'live') { attempt = 0; setConnection('live'); }
    handleFrame(ev.data);
  };
  ws.onclose = (ev) => {
    if (socket !== ws) return;
    socket = null;
    state.pressed.clear();
    if (AUTH_CLOSE_CODES.has(ev.code)) { stopped = true; setConnection('unauthorised'); return; }
    scheduleReconnect();
  };
}

function scheduleReconnect() { // 1 s doubling to 15 s, ±20 % jitter
  if (stopped) return;
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  const delay = Math.min(BACKOFF_MAX_MS, base * (0.8 + Math.random() * 0.4));
  attempt += 1;
  setConnection(attempt <= 2 && navigator.onLine !== false ? 'reconnecting' : 'offline');
  retryTimer = setTimeout(connect, delay);
}

// ---------- start-up ----------
function startUp() {
  const m = /^\/learn\/([A-Za-z0-9_-]{1,64})\/?$/.exec(location.pathname);
  state.sessionId = m ? m[1] : null;
  const key = `accesstwin.learn.${state.sessionId}`;
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) { // keep the token out of the address bar, history and referrers
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    try { if (fromUrl) sessionStorage.setItem(key, fromUrl); } catch { /* storage disabled */ }
  }
  try { state.token = fromUrl || sessionStorage.getItem(key); } catch { state.token = fromUrl || null; }
  loadPrefs();
  wireControls();
  window.accesstwinLearner = Object.freeze({ // read-only view for tests and debugging (no token)
    get state() {
      const { pressed, request, token, ...rest } = state;
      return structuredClone({ ...rest, pressed: [...pressed.keys()], audio: { rate: audio.playbackRate, paused: audio.paused } });
    },
    get connected() { return state.connection === 'live' && socket !== null && socket.readyState === WebSocket.OPEN; },
  });
  render();
  if (!state.sessionId) { stopped = true; setConnection('invalid'); return; }
  $('start').focus({ preventScroll: true });
  window.addEventListener('online', () => { if (retryTimer !== null) connect(); });
  connect();
}

startUp();
