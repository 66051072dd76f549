// accesstwin instructor dashboard: live twin cards for one lab over /ws/labs/{lab}.
// Plain ES2020 module, no dependencies, no inline code: works under CSP default-src 'self'.
// Structure: constants → state store (apply* functions) → render (incremental, batched
// with requestAnimationFrame) → socket manager (backoff reconnect) → start-up.

const STALE_AFTER_MS = 10000;     // an entry whose received_at is older than this is stale
const CHART_WINDOW_S = 120;        // charts show the last 2 minutes
const MAX_ALERTS = 20;
const TABLE_POINTS = 10;           // text alternative of each chart: last 10 points
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const AUTH_CLOSE_CODES = new Set([1008, 4401, 4403]);
const TOKEN_KEY = 'accesstwin.token';
const SVG_NS = 'http://www.w3.org/2000/svg';

// Main table rows: [reported key, label, unit, decimals (null: as sent, at most 2)]. 'bp' combines sbp/dbp.
const VITALS = [
  ['hr', 'Heart rate', 'bpm', 0], ['spo2', 'SpO2', '%', null], ['temp_c', 'Temperature', '°C', 1],
  ['resp_rate', 'Respiration rate', '/min', 0], ['bp', 'Blood pressure', 'mmHg', 0],
  ['depth_mm', 'Compression depth (latest sample)', 'mm', 0],
];
const DERIVED = [
  ['hr_ppg', 'HR from PPG', 'bpm', 0], ['cpr_rate', 'CPR rate', '/min', 0],
  ['cpr_depth_mm', 'CPR depth', 'mm', 0], ['cpr_recoil_pct', 'Recoil', '%', 0], ['cpr_ccf', 'CCF', '%', 0],
];
// Raw waveform samples are not shown as readings (depth_mm is, see VITALS); sbp/dbp go into 'bp'.
const NOT_IN_TABLE = new Set(['ppg', 'accel_z', 'force_n', 'sbp', 'dbp']);
const KNOWN = { reported: new Set(VITALS.map((r) => r[0])), derived: new Set(DERIVED.map((r) => r[0])) };
// Chart series with fixed y domains; sources are tried in order ([part, key]).
const SERIES = [
  { key: 'hr', label: 'Heart rate', unit: 'bpm', min: 0, max: 200, src: [['reported', 'hr'], ['derived', 'hr_ppg']] },
  { key: 'cpr_rate', label: 'CPR rate', unit: '/min', min: 0, max: 200, src: [['derived', 'cpr_rate']] },
  { key: 'cpr_depth', label: 'CPR depth', unit: 'mm', min: 0, max: 80, src: [['derived', 'cpr_depth_mm']] },
];
const SEVERITY = { info: ['ℹ\uFE0E', 'Info'], warning: ['⚠\uFE0E', 'Warning'], critical: ['‼\uFE0E', 'Critical'] };

// ---------- helpers ----------
const timeFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const fmtTime = (ms) => timeFmt.format(new Date(ms));
const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const fmtNum = (x, d) => (!isNum(x) ? '—' : d == null ? String(Math.round(x * 100) / 100) : x.toFixed(d));
const clamp01 = (x) => Math.min(1, Math.max(0, x));

function toMs(t) { // Unix seconds, Unix ms or ISO 8601 → ms since epoch (or null)
  if (isNum(t)) return t > 1e12 ? t : t * 1000;
  if (typeof t === 'string' && t) { const ms = Date.parse(t); return Number.isNaN(ms) ? null : ms; }
  return null;
}
function isStale(entry, nowMs) {
  if (!entry) return false;
  const rx = toMs(entry.received_at);
  return entry.stale === true || (rx !== null && nowMs - rx > STALE_AFTER_MS);
}
function h(tag, attrs = {}, ...kids) {
  const el = tag.startsWith('svg:') ? document.createElementNS(SVG_NS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, v);
  el.append(...kids);
  return el;
}
function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

// ---------- state store ----------
const state = { lab: null, connection: 'connecting', lastFrameAt: null, kits: new Map(), alerts: [], lastCritical: null };
let alertSeq = 0;

const newKit = (kit) => ({ kit, version: null, online: null, reported: {}, derived: {}, updatedAt: null, history: [] });

function mergeTwin(k, f) {
  for (const part of ['reported', 'derived']) {
    const src = f[part];
    if (!src || typeof src !== 'object') continue;
    for (const [name, entry] of Object.entries(src)) if (entry && typeof entry === 'object') k[part][name] = entry;
  }
  if (typeof f.online === 'boolean') k.online = f.online;
  if (isNum(f.version)) k.version = f.version;
  recordHistory(k, f);
}

function recordHistory(k, f) { // one point per second per kit; newest value in a second wins
  const t = Math.floor(Date.now() / 1000);
  let point = k.history[k.history.length - 1];
  for (const s of SERIES) {
    if (!s.src.some(([part, key]) => f[part] && f[part][key])) continue; // series untouched by this frame
    const value = s.src.map(([part, key]) => k[part][key]?.value).find(isNum);
    if (value === undefined) continue;
    if (!point || point.t !== t) { point = { t }; k.history.push(point); }
    point[s.key] = value;
  }
  while (k.history.length && k.history[0].t < t - CHART_WINDOW_S) k.history.shift();
}

function applySnapshot(twins) { // a snapshot replaces the state; chart history of kits still present is kept
  const old = state.kits;
  state.kits = new Map();
  for (const doc of Array.isArray(twins) ? twins : []) {
    if (!doc || typeof doc.kit !== 'string') continue;
    const k = newKit(doc.kit);
    k.history = old.get(doc.kit)?.history ?? [];
    mergeTwin(k, doc);
    k.updatedAt = toMs(doc.updated_at) ?? Date.now();
    state.kits.set(doc.kit, k);
  }
  dirty.structure = true;
  dirty.charts = true;
  markAllKits();
}

function applyDelta(f) {
  if (typeof f.kit !== 'string') return;
  let k = state.kits.get(f.kit);
  if (!k) { k = newKit(f.kit); state.kits.set(f.kit, k); dirty.structure = true; }
  else if (isNum(f.version) && isNum(k.version) && f.version <= k.version) return; // old or repeated
  mergeTwin(k, f);
  k.updatedAt = Date.now();
  dirty.kits.add(f.kit);
}

function applyStatus(f) {
  if (typeof f.kit !== 'string' || typeof f.online !== 'boolean') return;
  let k = state.kits.get(f.kit);
  if (!k) { k = newKit(f.kit); state.kits.set(f.kit, k); dirty.structure = true; }
  k.online = f.online;
  k.updatedAt = toMs(f.ts) ?? Date.now();
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
  if (!f || typeof f !== 'object') return;
  if (typeof f.lab === 'string' && f.lab !== state.lab) return; // not this lab's
  if (f.type === 'snapshot') applySnapshot(f.twins);
  else if (f.type === 'twin.delta') applyDelta(f);
  else if (f.type === 'status') applyStatus(f);
  else if (f.type === 'feedback') applyFeedback(f);
  else return; // unknown frame types are ignored
  scheduleRender();
}

function setConnection(c) { state.connection = c; dirty.conn = true; scheduleRender(); }

// ---------- render ----------
const dirty = { structure: false, kits: new Set(), alerts: false, conn: true, charts: false };
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
    if (k && v) { updateCard(k, v, now); if (dirty.charts) renderChart(k, v, now); }
  }
  if (dirty.alerts) renderAlerts();
  if (dirty.conn) renderConnection();
  dirty.structure = dirty.alerts = dirty.conn = dirty.charts = false;
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
}

function createCard(kit) {
  const id = `kit-${++cardSeq}`;
  const v = { rows: new Map(), lines: {}, legend: {}, tableSig: '' };
  v.statusIcon = h('span', { class: 'icon', 'aria-hidden': 'true' });
  v.statusText = h('span');
  v.status = h('p', { class: 'kit-status' }, v.statusIcon, ' ', v.statusText);
  v.updated = h('time');
  v.vitals = h('dl', { class: 'readings' });
  v.derived = h('dl', { class: 'readings' });
  v.vitalsGroup = h('div', { class: 'group' }, h('h3', {}, 'Vitals'), v.vitals);
  v.derivedGroup = h('div', { class: 'group' }, h('h3', {}, 'Derived'), v.derived);
  v.svg = h('svg:svg', { class: 'chart', viewBox: '0 0 300 100', preserveAspectRatio: 'none', role: 'img', 'aria-label': 'No trend data yet' });
  const legend = h('ul', { class: 'legend' });
  for (const s of SERIES) {
    v.lines[s.key] = v.svg.appendChild(h('svg:polyline', { class: `series series-${s.key}`, points: '' }));
    const swatch = h('svg:svg', { class: 'swatch', viewBox: '0 0 32 8', 'aria-hidden': 'true' },
      h('svg:line', { class: `series series-${s.key}`, x1: 0, y1: 4, x2: 32, y2: 4 }));
    v.legend[s.key] = legend.appendChild(h('li', { hidden: '' }, swatch, ` ${s.label} (scale ${s.min}–${s.max} ${s.unit})`));
  }
  v.thead = h('thead');
  v.tbody = h('tbody');
  v.details = h('details', { class: 'chart-data' }, h('summary', {}, 'Show data table'),
    h('table', {}, h('caption', {}, `Kit ${kit}: last ${TABLE_POINTS} points, newest first`), v.thead, v.tbody));
  v.details.addEventListener('toggle', () => { v.tableSig = ''; dirty.charts = true; dirty.kits.add(kit); scheduleRender(); });
  v.chartGroup = h('div', { class: 'group chart-group', hidden: '' },
    h('h3', {}, 'Trend, last 2 minutes'), v.svg, legend, v.details);
  v.el = h('article', { class: 'kit', 'aria-labelledby': `${id}-h`, 'data-kit': kit },
    h('h2', { id: `${id}-h` }, `Kit ${kit}`), v.status,
    h('p', { class: 'updated' }, 'Last update ', v.updated),
    v.vitalsGroup, v.derivedGroup, v.chartGroup);
  return v;
}

function updateCard(k, v, now) {
  const on = k.online;
  v.el.classList.toggle('is-offline', on === false);
  v.status.dataset.online = String(on);
  setText(v.statusIcon, on === true ? '✔\uFE0E' : on === false ? '✖\uFE0E' : '?');
  setText(v.statusText, on === true ? 'Online' : on === false ? 'Offline' : 'Status unknown');
  setText(v.updated, k.updatedAt ? fmtTime(k.updatedAt) : '—');
  if (k.updatedAt) v.updated.dateTime = new Date(k.updatedAt).toISOString();
  const rows = readingRows(k, now);
  const keep = new Set(rows.map((r) => r.key));
  for (const [key, row] of v.rows) if (!keep.has(key)) { row.el.remove(); v.rows.delete(key); }
  for (const r of rows) upsertRow(v, r);
  v.vitalsGroup.hidden = !v.vitals.firstChild;
  v.derivedGroup.hidden = !v.derived.firstChild;
}

function readingRows(k, now) { // → [{key, group, order, label, text, unit, stale}]
  const rows = [];
  const add = (group, key, order, label, text, unit, entries) =>
    rows.push({ key: `${group}:${key}`, group, order, label, text, unit, stale: entries.some((e) => isStale(e, now)) });
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
      add(group, key, `~${key}`, key, fmtNum(e.value), typeof e.unit === 'string' ? e.unit : '', [e]);
    }
  }
  return rows;
}

function upsertRow(v, r) {
  let row = v.rows.get(r.key);
  if (!row) {
    row = { value: h('span', { class: 'value' }), unit: h('span', { class: 'unit' }) };
    row.stale = h('span', { class: 'stale-mark', hidden: '' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '◷'), ' stale');
    row.el = h('div', { class: 'reading', 'data-order': r.order },
      h('dt', {}, r.label), h('dd', {}, row.value, ' ', row.unit, ' ', row.stale));
    const dl = r.group === 'vitals' ? v.vitals : v.derived;
    const next = [...dl.children].find((c) => c.dataset.order > r.order) ?? null;
    dl.insertBefore(row.el, next);
    v.rows.set(r.key, row);
  }
  setText(row.value, r.text);
  setText(row.unit, r.unit);
  if (row.stale.hidden === r.stale) row.stale.hidden = !r.stale;
  row.el.classList.toggle('is-stale', r.stale);
}

function renderChart(k, v, now) {
  const t0 = now / 1000 - CHART_WINDOW_S;
  while (k.history.length && k.history[0].t < t0 - 1) k.history.shift();
  const summary = [];
  for (const s of SERIES) {
    const pts = k.history.filter((p) => isNum(p[s.key]));
    const xy = pts.map((p) => `${(((p.t - t0) / CHART_WINDOW_S) * 300).toFixed(1)},${(100 - clamp01((p[s.key] - s.min) / (s.max - s.min)) * 100).toFixed(1)}`);
    if (xy.length === 1) xy.push(xy[0]); // a lone point still shows as a dot (round line caps)
    v.lines[s.key].setAttribute('points', xy.join(' '));
    v.legend[s.key].hidden = pts.length === 0;
    if (pts.length) summary.push(trendPhrase(s, pts.map((p) => p[s.key])));
  }
  v.chartGroup.hidden = summary.length === 0;
  v.svg.setAttribute('aria-label', summary.length
    ? `Kit ${k.kit}, last 2 minutes: ${summary.join('; ')}.` : 'No trend data yet');
  if (v.details.open) renderTable(k, v);
}

function trendPhrase(s, values) {
  const first = values[0], last = values[values.length - 1];
  const lo = Math.min(...values), hi = Math.max(...values);
  const change = last - first;
  const dir = Math.abs(change) < (s.max - s.min) * 0.05 ? 'steady'
    : `${change > 0 ? 'rising' : 'falling'} from ${fmtNum(first, 0)}`;
  return `${s.label} now ${fmtNum(last, 0)} ${s.unit}, ${dir} (range ${fmtNum(lo, 0)} to ${fmtNum(hi, 0)})`;
}

function renderTable(k, v) { // rebuilt only when its last 10 points change
  const cols = SERIES.filter((s) => k.history.some((p) => isNum(p[s.key])));
  const points = k.history.slice(-TABLE_POINTS).reverse();
  const sig = JSON.stringify([cols.map((s) => s.key), points]);
  if (sig === v.tableSig) return;
  v.tableSig = sig;
  v.thead.replaceChildren(h('tr', {}, h('th', { scope: 'col' }, 'Time'),
    ...cols.map((s) => h('th', { scope: 'col' }, `${s.label} (${s.unit})`))));
  v.tbody.replaceChildren(...points.map((p) => h('tr', {}, h('th', { scope: 'row' }, fmtTime(p.t * 1000)),
    ...cols.map((s) => h('td', {}, fmtNum(p[s.key], 0))))));
}

function alertItem(a) {
  const [icon, word] = SEVERITY[a.severity];
  return h('li', { class: `alert sev-${a.severity}` },
    h('span', { class: 'sev' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), ` ${word}`),
    a.kit ? ` — kit ${a.kit}: ` : ': ', a.text, ' ',
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
    $('critical').replaceChildren(h('p', {}, h('span', { class: 'icon', 'aria-hidden': 'true' }, SEVERITY.critical[0]),
      ` Critical${c.kit ? ` — kit ${c.kit}` : ''}: ${c.text} `, h('time', { datetime: new Date(c.at).toISOString() }, fmtTime(c.at))));
  }
}

function connectionLabel() {
  switch (state.connection) {
    case 'live': return ['●', 'Live'];
    case 'reconnecting': return ['↻', 'Reconnecting…'];
    case 'offline': return ['✖\uFE0E', state.lastFrameAt
      ? `Offline — last update ${fmtTime(state.lastFrameAt)}` : 'Offline — no update received yet'];
    case 'unauthorised': return ['⛔\uFE0E', "Not authorised — check the link's token"];
    case 'invalid': return ['✖\uFE0E', 'This address does not name a lab (expected /labs/<lab>)'];
    default: return ['…', 'Connecting…'];
  }
}
function renderConnection() {
  const [icon, text] = connectionLabel();
  $('conn').dataset.state = state.connection;
  setText($('conn-icon'), icon);
  setText($('conn-text'), text);
}

// ---------- socket manager ----------
let socket = null;
let attempt = 0;
let retryTimer = null;
let stopped = false;
let token = null;

function connect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  let ws;
  try { ws = new WebSocket(`${proto}//${location.host}/ws/labs/${encodeURIComponent(state.lab)}${query}`); }
  catch { scheduleReconnect(); return; }
  socket = ws;
  let live = false;
  ws.onmessage = (ev) => {
    if (!live) { live = true; attempt = 0; setConnection('live'); }
    state.lastFrameAt = Date.now();
    handleFrame(ev.data);
  };
  ws.onclose = (ev) => {
    if (socket !== ws) return;
    socket = null;
    if (AUTH_CLOSE_CODES.has(ev.code)) { stopped = true; forgetToken(); setConnection('unauthorised'); return; }
    scheduleReconnect();
  };
}

function scheduleReconnect() { // 1 s doubling to 30 s, ±20 % jitter
  if (stopped) return;
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  const delay = Math.min(BACKOFF_MAX_MS, base * (0.8 + Math.random() * 0.4));
  attempt += 1;
  // The first few quick retries read "Reconnecting…"; after that (about 7 s) "Offline — last update …".
  setConnection(attempt <= 3 && navigator.onLine !== false ? 'reconnecting' : 'offline');
  retryTimer = setTimeout(connect, delay);
}

function storeToken(t) { try { sessionStorage.setItem(TOKEN_KEY, t); } catch { /* storage disabled */ } }
function forgetToken() { try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* storage disabled */ } }
function storedToken() { try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; } }

// ---------- start-up ----------
function start() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) { // keep the token out of the address bar, history and referrers
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    if (fromUrl) storeToken(fromUrl);
  }
  token = fromUrl || storedToken();
  const m = /^\/labs\/([A-Za-z0-9_-]{1,64})\/?$/.exec(location.pathname);
  state.lab = m ? m[1] : null;
  setText($('lab-name'), state.lab ?? '(none)');
  document.title = `Lab ${state.lab ?? '?'} — instructor dashboard — accesstwin`;
  window.accesstwinDashboard = Object.freeze({
    get state() {
      const kits = {};
      for (const [id, k] of state.kits) {
        kits[id] = { kit: id, version: k.version, online: k.online, reported: k.reported, derived: k.derived, updated_at: k.updatedAt, history: k.history };
      }
      return structuredClone({ lab: state.lab, connection: state.connection, last_frame_at: state.lastFrameAt, kits, alerts: state.alerts });
    },
    get connected() { return state.connection === 'live' && socket !== null && socket.readyState === WebSocket.OPEN; },
  });
  renderConnection();
  if (!state.lab) { stopped = true; setConnection('invalid'); return; }
  window.addEventListener('online', () => { if (retryTimer !== null) connect(); });
  // Once a second: re-evaluate staleness, move the charts along; also renders while the tab is hidden.
  setInterval(() => { markAllKits(); dirty.charts = true; render(); }, 1000);
  connect();
}

start();
