// accesstwin instructor dashboard: live twin cards for one lab over /ws/labs/{lab}.
// Plain ES2020 module, no dependencies, no inline code: works under CSP default-src 'self'.
// Structure: constants → state store (apply* functions) → render (incremental, batched
// with requestAnimationFrame) → socket manager (backoff reconnect) → start-up.
// Values of an offline kit, and values not renewed for 10 s, are marked stale (a word and a
// shape); kit online/offline changes are said in the polite #kit-events region. Charts are
// filled from the history API on load and after each reconnect, and plotted by device time.
// Each card's trend chart lives in dashboard-chart.js, its desired-state control in
// dashboard-desired.js; sessions and the start form in dashboard-sessions.js; shared
// helpers in dashboard-util.js.
import { apiFetch, fmtNum, fmtTime, h, isNum, isPlainObject, setText, toMs } from './dashboard-util.js';
import { has } from './common/dom.js';
import { t, tOr } from './common/i18n.js';
import { ReconnectingSocket, bearerProtocols, socketUrl } from './common/socket.js';
import { INSTRUCTOR_TOKEN_KEY, forgetToken, takeToken } from './common/token.js';
import { createDesiredControl, kitDelta, needsTwinRead } from './dashboard-desired.js';
import { initSessions } from './dashboard-sessions.js';
import { CHART_SENSORS, backfill, createChart, recordPoints, renderChart } from './dashboard-chart.js';

const STALE_AFTER_MS = 10000;     // an entry whose received_at is older than this is stale (server: stale_after_s)
const VERSION_GAP = 4;           // a twin version jump larger than this (a telemetry message makes ≤ 2) means missed frames
const GAP_FILL_MS = 2000;
const TWIN_READ_DELAY_MS = 200;  // a desired name may have been reached: read the twin's delta after this
const MAX_ALERTS = 20;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const BATCH_MS = 50;             // the server sends waiting frames as one batch at most this often

// The sensors and derived values with units and labels come from the server's vocabulary
// (accesstwin_contract/quantities.py), served in the page as JSON: none is listed here.
const VOCABULARY = readVocabulary();
// Main table rows: [key, label, unit, decimals (null: as sent, at most 2)]. 'bp' combines sbp/dbp.
// Labels in the page's language (dashboard.sensor.*), the vocabulary's English otherwise.
const label = (name, english) => tOr(`dashboard.sensor.${name}`, english);
const row = (q) => [q.name, label(q.name, q.label), q.unit, q.decimals];
const VITALS = VOCABULARY.reported.filter((q) => q.shown && q.name !== 'dbp')
  .map((q) => (q.name === 'sbp' ? ['bp', label('bp', 'Blood pressure'), q.unit, 0] : row(q)));
const DERIVED = VOCABULARY.derived.filter((q) => q.shown).map(row);
// Raw waveform samples are not shown as readings (those not `shown`); sbp/dbp go into 'bp'.
const NOT_IN_TABLE = new Set([...VOCABULARY.reported.filter((q) => !q.shown).map((q) => q.name), 'sbp', 'dbp']);
const KNOWN = { reported: new Set(VITALS.map((r) => r[0])), derived: new Set(DERIVED.map((r) => r[0])) };
const SEVERITY = { info: 'ℹ\uFE0E', warning: '⚠\uFE0E', critical: '‼\uFE0E' }; // words: dashboard.sev.*

function readVocabulary() {
  const empty = { reported: [], derived: [] };
  try {
    const v = JSON.parse(document.getElementById('accesstwin-vocabulary')?.textContent ?? 'null');
    return Array.isArray(v?.reported) && Array.isArray(v?.derived) ? v : empty;
  } catch { return empty; }
}

// ---------- staleness ----------
// Entries carry the server's received_at. The browser's clock may differ from the server's:
// `clockOffsetMs` estimates (browser − server) as the smallest (arrival − received_at) seen,
// which is at least the true offset, so an age is never over-estimated. The snapshot's own
// verdict (`stale`) holds until a newer entry replaces it.
let clockOffsetMs = null;
function observeClock(entry, arrivedMs) {
  const rx = toMs(entry?.received_at);
  if (rx === null) return;
  const d = arrivedMs - rx;
  if (clockOffsetMs === null || d < clockOffsetMs) clockOffsetMs = d;
}
function isStale(entry, nowMs) {
  if (!entry) return false;
  if (entry.stale === true) return true;
  const rx = toMs(entry.received_at);
  return rx !== null && nowMs - (clockOffsetMs ?? 0) - rx > STALE_AFTER_MS;
}

// ---------- state store ----------
const state = {
  lab: null, connection: 'connecting', lastFrameAt: null, kits: new Map(), alerts: [], lastCritical: null,
  snapshots: 0, kitEvents: [],
};
let alertSeq = 0;

const newKit = (kit) => ({
  kit, version: null, online: null, reported: {}, derived: {}, desired: {}, updatedAt: null, offlineSince: null,
  points: {}, desiredVersion: null, serverDelta: null, twinReadTimer: null, gapFillTimer: null,
});

function mergeTwin(k, f, arrivedMs, fromSnapshot = false) {
  for (const part of ['reported', 'derived']) {
    const src = f[part];
    if (!src || typeof src !== 'object') continue;
    for (const [name, entry] of Object.entries(src)) {
      if (!entry || typeof entry !== 'object') continue;
      k[part][name] = entry;
      if (!fromSnapshot || entry.stale === false) observeClock(entry, arrivedMs);
    }
  }
  if (isPlainObject(f.desired)) k.desired = f.desired; // frames carry it when it changed
  if (isNum(f.desired_version)) k.desiredVersion = f.desired_version; // when the server sends it
  if (isPlainObject(f.delta) && isPlainObject(f.desired)) k.serverDelta = { delta: f.delta, desiredSig: JSON.stringify(f.desired) };
  if (typeof f.online === 'boolean') setOnline(k, f.online, arrivedMs);
  if (isNum(f.version)) k.version = f.version;
  recordPoints(k.points, f);
  if (!fromSnapshot && needsTwinRead(k, f)) scheduleTwinRead(k);
}

function setOnline(k, online, atMs) {
  const was = k.online;
  k.online = online;
  if (was === online) return;
  if (!online) k.offlineSince = atMs;
  const time = fmtTime(atMs);
  if (typeof was === 'boolean') {
    state.kitEvents.push(t(online ? 'dashboard.kit.back_online' : 'dashboard.kit.went_offline', { kit: k.kit, time }));
  } else if (state.snapshots > 0 && online) {
    state.kitEvents.push(t('dashboard.kit.came_online', { kit: k.kit, time }));
  }
  dirty.events = true;
}

/** The twin's own delta, when this page cannot compute it (desired names without desired_version). */
function scheduleTwinRead(k) {
  if (k.twinReadTimer !== null) return;
  k.twinReadTimer = setTimeout(async () => {
    k.twinReadTimer = null;
    try {
      const doc = await apiFetch(token, `/api/v1/twins/${encodeURIComponent(state.lab)}/${encodeURIComponent(k.kit)}`);
      if (state.kits.get(k.kit) !== k || !isPlainObject(doc)) return;
      if (isNum(doc.desired_version)) k.desiredVersion = doc.desired_version;
      if (isPlainObject(doc.delta) && isPlainObject(doc.desired)) k.serverDelta = { delta: doc.delta, desiredSig: JSON.stringify(doc.desired) };
      dirty.kits.add(k.kit);
      scheduleRender();
    } catch { /* the next frame that touches the delta asks again */ }
  }, TWIN_READ_DELAY_MS);
}

function startBackfill(k, since = null) { // charts: the last minutes (or since `since`) from the history API
  const sensors = CHART_SENSORS.filter((s) => k.reported[s] || k.derived[s]);
  if (!sensors.length) return;
  backfill({
    lab: state.lab, kit: k.kit, token: () => token, sensors, points: k.points, since,
    done: () => { if (state.kits.get(k.kit) === k) { dirty.charts = true; dirty.kits.add(k.kit); scheduleRender(); } },
  });
}

// A busy server sends a kit's newest state rather than every delta (versions then jump):
// the readings in between are fetched from the history, at most every GAP_FILL_MS per kit.
function scheduleGapFill(k) {
  if (k.gapFillTimer !== null) return;
  let since = Infinity;
  for (const list of Object.values(k.points)) if (list.length) since = Math.min(since, list[list.length - 1][0]);
  k.gapFillTimer = setTimeout(() => {
    k.gapFillTimer = null;
    if (state.kits.get(k.kit) === k) startBackfill(k, Number.isFinite(since) ? since : null);
  }, GAP_FILL_MS);
}

function applySnapshot(twins) { // a snapshot replaces the state; chart points of kits still present are kept
  const old = state.kits;
  const now = Date.now();
  state.kits = new Map();
  for (const doc of Array.isArray(twins) ? twins : []) {
    if (!doc || typeof doc.kit !== 'string') continue;
    const k = newKit(doc.kit);
    const before = old.get(doc.kit);
    if (before) {
      k.points = before.points;
      k.online = before.online; // so that a change while this page was away is announced
      k.offlineSince = before.offlineSince;
      clearTimeout(before.twinReadTimer);
      clearTimeout(before.gapFillTimer);
    }
    mergeTwin(k, doc, now, true);
    k.updatedAt = toMs(doc.updated_at) ?? now;
    if (k.online === false && !before) k.offlineSince = k.updatedAt;
    state.kits.set(doc.kit, k);
  }
  state.snapshots += 1;
  for (const k of state.kits.values()) startBackfill(k); // on load and after every reconnect
  dirty.structure = true;
  dirty.charts = true;
  markAllKits();
}

function kitFor(name) {
  let k = state.kits.get(name);
  if (!k) { k = newKit(name); state.kits.set(name, k); dirty.structure = true; }
  return k;
}

function applyDelta(f) {
  if (typeof f.kit !== 'string') return;
  const known = state.kits.get(f.kit);
  if (known && isNum(f.version) && isNum(known.version) && f.version <= known.version) return; // old or repeated
  const k = kitFor(f.kit);
  if (known && isNum(f.version) && isNum(k.version) && f.version - k.version > VERSION_GAP) scheduleGapFill(k);
  mergeTwin(k, f, Date.now());
  k.updatedAt = Date.now();
  if (!known) startBackfill(k);
  dirty.kits.add(f.kit);
}

function applyStatus(f) {
  if (typeof f.kit !== 'string' || typeof f.online !== 'boolean') return;
  const k = kitFor(f.kit);
  const at = toMs(f.ts) ?? Date.now();
  setOnline(k, f.online, at);
  k.updatedAt = at;
  dirty.kits.add(f.kit);
}

function applyFeedback(f) {
  const severity = Object.prototype.hasOwnProperty.call(SEVERITY, f.severity) ? f.severity : 'info';
  const alert = {
    seq: ++alertSeq, severity, text: typeof f.text === 'string' ? f.text : '',
    kit: typeof f.kit === 'string' ? f.kit : null, at: toMs(f.ts) ?? Date.now(),
  };
  state.alerts.unshift(alert);
  if (state.alerts.length > MAX_ALERTS) state.alerts.length = MAX_ALERTS;
  if (severity === 'critical') state.lastCritical = alert;
  dirty.alerts = true;
}

function handleFrame(raw) {
  let f;
  try { f = JSON.parse(raw); } catch { return; }
  if (f && f.type === 'batch' && Array.isArray(f.frames)) f.frames.forEach(applyFrame);
  else applyFrame(f);
}

function applyFrame(f) {
  if (!f || typeof f !== 'object') return;
  if (typeof f.lab === 'string' && f.lab !== state.lab) return; // not this lab's
  if (f.type === 'snapshot') applySnapshot(f.twins);
  else if (f.type === 'twin.delta') applyDelta(f);
  else if (f.type === 'status') applyStatus(f);
  else if (f.type === 'feedback') { applyFeedback(f); sessions?.onFeedback(f); }
  else return; // unknown frame types are ignored
  scheduleRender();
}

function setConnection(c) { state.connection = c; dirty.conn = true; markAllKits(); scheduleRender(); }

// ---------- render ----------
const dirty = { structure: false, kits: new Set(), alerts: false, conn: true, charts: false, events: false };
const views = new Map(); // kit → DOM references of its card
const $ = (id) => document.getElementById(id);
let renderQueued = false;
let cardSeq = 0;
let renderedAlertSeq = 0;
let shownCriticalSeq = 0;

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}
function markAllKits() { for (const kit of state.kits.keys()) dirty.kits.add(kit); }

function render() {
  renderQueued = false;
  const now = Date.now();
  if (dirty.structure) syncCards();
  for (const kit of dirty.kits) {
    const k = state.kits.get(kit), v = views.get(kit);
    if (k && v) { updateCard(k, v, now); if (dirty.charts) renderChart(k, v.chart, now); }
  }
  if (dirty.alerts) renderAlerts();
  if (dirty.conn) renderConnection();
  if (dirty.events) renderKitEvents();
  dirty.structure = dirty.alerts = dirty.conn = dirty.charts = dirty.events = false;
  dirty.kits.clear();
}

function syncCards() { // add/remove cards and keep them sorted by kit id, moving only what is out of place
  const container = $('kits');
  for (const [kit, v] of views) if (!state.kits.has(kit)) { v.el.remove(); views.delete(kit); }
  let prev = null;
  for (const kit of [...state.kits.keys()].sort()) {
    let v = views.get(kit);
    if (!v) { v = createCard(kit); views.set(kit, v); dirty.kits.add(kit); dirty.charts = true; }
    const want = prev ? prev.nextSibling : container.firstChild;
    if (v.el !== want) container.insertBefore(v.el, want);
    prev = v.el;
  }
  $('no-kits').hidden = state.kits.size > 0;
  sessions?.setKits([...state.kits.keys()].sort());
}

function createCard(kit) {
  const id = `kit-${++cardSeq}`;
  const v = { rows: new Map() };
  v.statusIcon = h('span', { class: 'icon', 'aria-hidden': 'true' });
  v.statusText = h('span');
  v.status = h('p', { class: 'kit-status' }, v.statusIcon, ' ', v.statusText);
  v.updated = h('time');
  v.updatedLabel = h('span', {}, t('dashboard.card.last_update'));
  v.offlineNote = h('p', { class: 'offline-note', hidden: '' },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, '◷'), ` ${t('dashboard.card.offline_note')}`);
  v.vitals = h('dl', { class: 'readings' });
  v.derived = h('dl', { class: 'readings' });
  v.vitalsGroup = h('div', { class: 'group' }, h('h3', {}, t('dashboard.card.vitals')), v.vitals);
  v.derivedGroup = h('div', { class: 'group' }, h('h3', {}, t('dashboard.card.derived')), v.derived);
  v.chart = createChart(kit, () => { dirty.charts = true; dirty.kits.add(kit); scheduleRender(); });
  v.desired = createDesiredControl(id, { lab: state.lab, kit, token: () => token });
  v.el = h('article', { class: 'kit card', 'aria-labelledby': `${id}-h`, 'data-kit': kit },
    h('h2', { id: `${id}-h` }, t('dashboard.card.title', { kit })), v.status,
    h('p', { class: 'updated' }, v.updatedLabel, ' ', v.updated), v.offlineNote,
    v.vitalsGroup, v.derivedGroup, v.chart.group, v.desired.el);
  return v;
}

function updateCard(k, v, now) {
  const on = k.online;
  v.el.classList.toggle('is-offline', on === false);
  v.status.dataset.online = String(on);
  setText(v.statusIcon, on === true ? '✔\uFE0E' : on === false ? '✖\uFE0E' : '?');
  const word = t(on === true ? 'dashboard.card.online' : on === false ? 'dashboard.card.offline' : 'dashboard.card.unknown');
  setText(v.statusText, state.connection === 'live' || on === null ? word : t('dashboard.card.last_known', { word }));
  const offlineAt = on === false ? k.offlineSince ?? k.updatedAt : null;
  const shownAt = offlineAt ?? k.updatedAt;
  setText(v.updatedLabel, t(offlineAt ? 'dashboard.card.offline_since' : 'dashboard.card.last_update'));
  setText(v.updated, shownAt ? fmtTime(shownAt) : '—');
  if (shownAt) v.updated.dateTime = new Date(shownAt).toISOString();
  v.offlineNote.hidden = on !== false;
  const rows = readingRows(k, now);
  const keep = new Set(rows.map((r) => r.key));
  for (const [key, row] of v.rows) if (!keep.has(key)) { row.el.remove(); v.rows.delete(key); }
  for (const r of rows) upsertRow(v, r);
  v.vitalsGroup.hidden = !v.vitals.firstChild;
  v.derivedGroup.hidden = !v.derived.firstChild;
  v.desired.update(k);
}

function receivedAt(entries) { // when the newest of these values reached the server, on this browser's clock
  const times = entries.map((e) => toMs(e?.received_at)).filter((t) => t !== null);
  return times.length ? Math.max(...times) + (clockOffsetMs ?? 0) : null;
}

function readingRows(k, now) { // → [{key, group, order, label, text, unit, stale}]; an offline kit's values are all stale
  const rows = [];
  const offline = k.online === false;
  const add = (group, key, order, label, text, unit, entries) => rows.push({
    key: `${group}:${key}`, group, order, label, text, unit, stale: offline || entries.some((e) => isStale(e, now)),
    at: receivedAt(entries),
  });
  VITALS.forEach(([key, label, unit, d], i) => {
    const order = String(i).padStart(2, '0');
    if (key === 'bp') {
      const { sbp, dbp } = k.reported;
      if (sbp || dbp) add('vitals', key, order, label, `${fmtNum(sbp?.value, 0)}/${fmtNum(dbp?.value, 0)}`, unit, [sbp, dbp]);
    } else if (k.reported[key]) add('vitals', key, order, label, fmtNum(k.reported[key].value, d), unit, [k.reported[key]]);
  });
  DERIVED.forEach(([key, label, unit, d], i) => {
    const e = k.derived[key];
    if (e) add('derived', key, String(i).padStart(2, '0'), label, fmtNum(e.value, d), unit, [e]);
  });
  for (const [part, group] of [['reported', 'vitals'], ['derived', 'derived']]) { // other sensors, unitless unless told
    for (const [key, e] of Object.entries(k[part])) {
      if (KNOWN[part].has(key) || NOT_IN_TABLE.has(key)) continue;
      // A kit's echo of its desired state (names as version numbers) is shown under "Desired state".
      if (part === 'reported' && (key === 'desired_version' || has(k.desired, key))) continue;
      add(group, key, `~${key}`, key, fmtNum(e.value), typeof e.unit === 'string' ? e.unit : '', [e]);
    }
  }
  return rows;
}

function upsertRow(v, r) {
  let row = v.rows.get(r.key);
  if (!row) {
    row = { value: h('span', { class: 'value' }), unit: h('span', { class: 'unit' }) };
    row.staleAt = h('time', { class: 'stale-at' });
    row.stale = h('dd', { class: 'stale-line', hidden: '' },
      h('span', { class: 'stale-mark' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '◷'), ` ${t('dashboard.card.stale')} `, row.staleAt));
    row.el = h('div', { class: 'reading', 'data-order': r.order },
      h('dt', {}, r.label), h('dd', {}, row.value, ' ', row.unit), row.stale);
    const dl = r.group === 'vitals' ? v.vitals : v.derived;
    const next = [...dl.children].find((c) => c.dataset.order > r.order) ?? null;
    dl.insertBefore(row.el, next);
    v.rows.set(r.key, row);
  }
  setText(row.value, r.text);
  setText(row.unit, r.unit);
  if (row.stale.hidden === r.stale) row.stale.hidden = !r.stale;
  setText(row.staleAt, r.stale && r.at ? t('dashboard.card.received', { time: fmtTime(r.at) }) : '');
  if (r.at) row.staleAt.dateTime = new Date(r.at).toISOString();
  row.el.classList.toggle('is-stale', r.stale);
}

function alertItem(a) {
  const icon = SEVERITY[a.severity], word = t(`dashboard.sev.${a.severity}`);
  return h('li', { class: `alert sev-${a.severity}` },
    h('span', { class: 'sev' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), ` ${word}`),
    a.kit ? ` ${t('dashboard.alert.of_kit', { kit: a.kit })}: ` : ': ', a.text, ' ',
    h('time', { datetime: new Date(a.at).toISOString(), class: 'muted' }, fmtTime(a.at)));
}

function renderAlerts() {
  const list = $('alert-list');
  const fresh = state.alerts.filter((a) => a.seq > renderedAlertSeq).reverse(); // oldest first
  for (const a of fresh) list.prepend(alertItem(a));
  if (state.alerts.length) renderedAlertSeq = state.alerts[0].seq;
  while (list.children.length > MAX_ALERTS) list.lastElementChild.remove();
  $('no-alerts').hidden = list.children.length > 0;
  const c = state.lastCritical;
  if (c && c.seq > shownCriticalSeq) {
    shownCriticalSeq = c.seq;
    $('critical').replaceChildren(h('p', {}, h('span', { class: 'icon', 'aria-hidden': 'true' }, SEVERITY.critical),
      ` ${t('dashboard.sev.critical')}${c.kit ? ` ${t('dashboard.alert.of_kit', { kit: c.kit })}` : ''}: ${c.text} `, h('time', { datetime: new Date(c.at).toISOString() }, fmtTime(c.at))));
  }
}

function connectionLabel() {
  switch (state.connection) {
    case 'live': return ['●', t('dashboard.conn.live')];
    case 'reconnecting': return ['↻', t('dashboard.conn.reconnecting')];
    case 'offline': return ['✖\uFE0E', state.lastFrameAt
      ? t('dashboard.conn.offline_since', { time: fmtTime(state.lastFrameAt) }) : t('dashboard.conn.offline')];
    case 'unauthorised': return ['⛔\uFE0E', t('dashboard.conn.unauthorised')];
    case 'invalid': return ['✖\uFE0E', t('dashboard.conn.invalid')];
    default: return ['…', t('dashboard.conn.connecting')];
  }
}
function renderConnection() {
  const [icon, text] = connectionLabel();
  $('conn').dataset.state = state.connection;
  setText($('conn-icon'), icon);
  setText($('conn-text'), text);
}

// Kit online/offline changes, into a polite live region that exists from page load (the
// latest changes stay visible there too).
function renderKitEvents() {
  if (!state.kitEvents.length) return;
  const text = state.kitEvents.join(' ');
  state.kitEvents = [];
  $('kit-events').replaceChildren(h('span', { class: 'icon', 'aria-hidden': 'true' }, 'ℹ\uFE0E'), ` ${text}`);
}

// ---------- socket manager (common/socket.js: backoff reconnect) ----------
let socket = null;
let token = null;
let sessions = null; // the sessions table and start form (dashboard-sessions.js), once started

function openSocket() {
  // batch_ms: several frames per message at most every 50 ms (cheap for server and page).
  // The token goes as a subprotocol, never in the URL (server logs, history).
  socket = new ReconnectingSocket({
    url: () => socketUrl(`/ws/labs/${encodeURIComponent(state.lab)}`, { batch_ms: BATCH_MS }),
    protocols: () => bearerProtocols(token),
    onFrame: (text) => { state.lastFrameAt = Date.now(); handleFrame(text); },
    onState: (c) => { if (c === 'unauthorised') forgetToken(INSTRUCTOR_TOKEN_KEY); setConnection(c); },
    // The first few quick retries (1 s doubling to 30 s) read "Reconnecting…"; after that
    // (about 7 s) "Offline — last update …".
    minMs: BACKOFF_MIN_MS, maxMs: BACKOFF_MAX_MS, quickRetries: 3,
  });
  socket.connect();
}

// ---------- start-up ----------
function start() {
  token = takeToken(INSTRUCTOR_TOKEN_KEY); // out of the address bar, history and referrers
  const m = /^\/labs\/([A-Za-z0-9_-]{1,64})\/?$/.exec(location.pathname);
  state.lab = m ? m[1] : null;
  setText($('lab-name'), state.lab ?? t('dashboard.no_lab'));
  document.title = t('dashboard.doc_title', { lab: state.lab ?? '?' });
  window.accesstwinDashboard = Object.freeze({
    get state() {
      const kits = {};
      for (const [id, k] of state.kits) {
        kits[id] = {
          kit: id, version: k.version, online: k.online, reported: k.reported, derived: k.derived,
          desired: k.desired, delta: kitDelta(k), desired_version: k.desiredVersion, updated_at: k.updatedAt, points: k.points,
        };
      }
      return structuredClone({ lab: state.lab, connection: state.connection, last_frame_at: state.lastFrameAt, kits, alerts: state.alerts });
    },
    get connected() { return state.connection === 'live' && socket !== null && socket.open; },
  });
  renderConnection();
  if (!state.lab) { setConnection('invalid'); return; }
  // Once a second: re-evaluate staleness, move the charts along; also renders while the tab is hidden.
  setInterval(() => { markAllKits(); dirty.charts = true; render(); }, 1000);
  sessions = initSessions({ lab: state.lab, token: () => token });
  sessions.setKits([...state.kits.keys()].sort());
  openSocket();
}

start();
