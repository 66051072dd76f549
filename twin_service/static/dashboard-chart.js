// accesstwin instructor dashboard: the trend chart of a kit card (SVG polylines with fixed
// y scales, a legend, a spoken summary as the chart's label and a data table alternative).
// Points are kept per sensor as [device ts (s), value], sorted by ts: several readings in
// one second stay separate points. They come from the live frames and, on load and after
// each reconnect, from GET /api/v1/twins/{lab}/{kit}/history (backfill()).
import { apiFetch, fmtNum, h, isNum } from './dashboard-util.js';
import { t, tOr } from './common/i18n.js';

export const CHART_WINDOW_S = 120; // charts show the last 2 minutes
const TABLE_POINTS = 10;           // text alternative of each chart: the newest 10 times
const MAX_POINTS = 3000;           // per sensor and kit (5 readings/s for 2 min is 600)
const MAX_DRAWN = 600;             // more points than this in the window are drawn as bucket means
const WIDTH = 300, HEIGHT = 100;   // SVG user units
const HISTORY_LIMIT = 1000;        // raw points per history request; more → bucket means
const FETCHES_AT_ONCE = 4;
const clamp01 = (x) => Math.min(1, Math.max(0, x));
const clockFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
/** Device time with tenths of a second: two readings in one second get two rows. */
export const fmtTs = (s) => `${clockFmt.format(new Date(s * 1000))}.${Math.floor((s % 1) * 10 + 1e-6) % 10}`;

// Chart series with fixed y domains; sensors are tried in order (the first with points in the window).
export const SERIES = [
  { key: 'hr', label: 'Heart rate', unit: 'bpm', min: 0, max: 200, sensors: ['hr', 'hr_ppg'] },
  { key: 'cpr_rate', label: 'CPR rate', unit: '/min', min: 0, max: 200, sensors: ['cpr_rate'] },
  { key: 'cpr_depth', label: 'CPR depth', unit: 'mm', min: 0, max: 80, sensors: ['cpr_depth_mm'] },
];
export const CHART_SENSORS = [...new Set(SERIES.flatMap((s) => s.sensors))];
// A series' name in the page's language (the label of its first sensor, dashboard.sensor.*).
const seriesLabel = (s) => tOr(`dashboard.sensor.${s.sensors[0]}`, s.label);

/** Add one [ts, value] to a sorted point list (same ts: the newer value replaces it). */
export function addPoint(list, ts, value) {
  if (!isNum(ts) || !isNum(value)) return;
  let i = list.length;
  if (i && list[i - 1][0] >= ts) { // out of order (backfill, reconnect): binary search
    let lo = 0, hi = list.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid][0] < ts) lo = mid + 1; else hi = mid; }
    if (lo < list.length && list[lo][0] === ts) { list[lo][1] = value; return; }
    i = lo;
  }
  list.splice(i, 0, [ts, value]);
  if (list.length > MAX_POINTS) list.splice(0, list.length - MAX_POINTS);
}

/** Record the chart sensors of a frame or twin document (entries carry value and device ts). */
export function recordPoints(points, f) {
  for (const sensor of CHART_SENSORS) {
    const e = f.reported?.[sensor] ?? f.derived?.[sensor];
    if (e && typeof e === 'object') addPoint(points[sensor] ??= [], e.ts, e.value);
  }
}

// ---------- back-fill from the history API, a few requests at a time ----------
const queue = [];
let running = 0;
function schedule(job) {
  queue.push(job);
  pump();
}
function pump() {
  while (running < FETCHES_AT_ONCE && queue.length) {
    const job = queue.shift();
    running += 1;
    job().catch(() => { /* the chart fills from live frames; said nowhere else */ }).finally(() => { running -= 1; pump(); });
  }
}

/**
 * Fetch the last CHART_WINDOW_S seconds (or from `since`, device time) of each chart sensor
 * the kit has and merge them into `points`; `done()` runs after each sensor that added points.
 */
export function backfill({ lab, kit, token, sensors, points, done, since = null }) {
  const start = Math.max(since ?? 0, Date.now() / 1000 - CHART_WINDOW_S - 5);
  const base = `/api/v1/twins/${encodeURIComponent(lab)}/${encodeURIComponent(kit)}/history`;
  for (const sensor of sensors) {
    schedule(async () => {
      const q = `?sensor=${encodeURIComponent(sensor)}&start=${start.toFixed(3)}`;
      let r = await apiFetch(token(), `${base}${q}&limit=${HISTORY_LIMIT}`);
      if (Array.isArray(r?.points) && r.points.length >= HISTORY_LIMIT) { // too many: bucket means
        r = await apiFetch(token(), `${base}${q}&every=${CHART_WINDOW_S / WIDTH}&limit=${HISTORY_LIMIT}`);
      }
      const got = Array.isArray(r?.points) ? r.points : [];
      const list = points[sensor] ??= [];
      for (const p of got) if (Array.isArray(p)) addPoint(list, p[0], p[1]);
      if (got.length) done();
    });
  }
}

/** The chart part of one card; `onToggle` runs when its data table is opened or closed. */
export function createChart(kit, onToggle) {
  const c = { lines: {}, legend: {}, tableSig: '' };
  c.svg = h('svg:svg', { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': t('dashboard.chart.no_data') });
  const legend = h('ul', { class: 'legend' });
  for (const s of SERIES) {
    c.lines[s.key] = c.svg.appendChild(h('svg:polyline', { class: `series series-${s.key}`, points: '', 'data-series': s.key }));
    const swatch = h('svg:svg', { class: 'swatch', viewBox: '0 0 32 8', 'aria-hidden': 'true' },
      h('svg:line', { class: `series series-${s.key}`, x1: 0, y1: 4, x2: 32, y2: 4 }));
    c.legend[s.key] = legend.appendChild(h('li', { hidden: '' }, swatch, ` ${t('dashboard.chart.legend', { series: seriesLabel(s), min: s.min, max: s.max, unit: s.unit })}`));
  }
  const axis = h('p', { class: 'chart-axis', 'aria-hidden': 'true' }, h('span', {}, t('dashboard.chart.ago')), h('span', {}, t('dashboard.chart.now')));
  c.thead = h('thead');
  c.tbody = h('tbody');
  c.details = h('details', { class: 'chart-data' }, h('summary', {}, t('dashboard.chart.show_table')),
    h('table', {}, h('caption', {}, t('dashboard.chart.caption', { kit, n: TABLE_POINTS })), c.thead, c.tbody));
  c.details.addEventListener('toggle', () => { c.tableSig = ''; onToggle(); });
  c.group = h('div', { class: 'group chart-group', hidden: '' },
    h('h3', {}, t('dashboard.chart.heading')), c.svg, axis, legend, c.details);
  return c;
}

/** The window's end: the browser's clock, or the kit's newest point if that is later. */
function windowEnd(points, now) {
  let t1 = now / 1000;
  for (const list of Object.values(points)) if (list.length) t1 = Math.max(t1, list[list.length - 1][0]);
  return t1;
}

function inWindow(list, t0) { // points with ts ≥ t0 (list sorted)
  let lo = 0, hi = list.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid][0] < t0) lo = mid + 1; else hi = mid; }
  return list.slice(lo);
}

function drawn(pts, t0) { // at most MAX_DRAWN: bucket means over WIDTH columns when there are more
  if (pts.length <= MAX_DRAWN) return pts;
  const buckets = new Map();
  for (const [ts, v] of pts) {
    const col = Math.floor(((ts - t0) / CHART_WINDOW_S) * WIDTH);
    const b = buckets.get(col) ?? buckets.set(col, [0, 0, 0]).get(col);
    b[0] += ts; b[1] += v; b[2] += 1;
  }
  return [...buckets.values()].map(([ts, v, n]) => [ts / n, v / n]);
}

/** The series' points in the window: [{s, sensor, pts}] for series that have any. */
function seriesInWindow(points, t0) {
  const out = [];
  for (const s of SERIES) {
    for (const sensor of s.sensors) {
      const pts = inWindow(points[sensor] ?? [], t0);
      if (pts.length) { out.push({ s, sensor, pts }); break; }
    }
  }
  return out;
}

export function renderChart(k, c, now) {
  const t1 = windowEnd(k.points, now), t0 = t1 - CHART_WINDOW_S;
  for (const list of Object.values(k.points)) { // forget what fell out of the window
    const keep = inWindow(list, t0 - 5);
    if (keep.length !== list.length) list.splice(0, list.length - keep.length);
  }
  const shown = seriesInWindow(k.points, t0);
  const summary = [];
  for (const s of SERIES) {
    const one = shown.find((x) => x.s === s);
    const xy = (one ? drawn(one.pts, t0) : []).map(([ts, v]) =>
      `${(((ts - t0) / CHART_WINDOW_S) * WIDTH).toFixed(1)},${(HEIGHT - clamp01((v - s.min) / (s.max - s.min)) * HEIGHT).toFixed(1)}`);
    if (xy.length === 1) xy.push(xy[0]); // a lone point still shows as a dot (round line caps)
    c.lines[s.key].setAttribute('points', xy.join(' '));
    c.lines[s.key].dataset.sensor = one?.sensor ?? '';
    c.legend[s.key].hidden = !one;
    if (one) summary.push(trendPhrase(s, one.pts.map((p) => p[1])));
  }
  c.group.hidden = summary.length === 0;
  c.svg.setAttribute('aria-label', summary.length
    ? t('dashboard.chart.summary', { kit: k.kit, trends: summary.join(t('dashboard.chart.separator')) }) : t('dashboard.chart.no_data'));
  if (c.details.open) renderTable(shown, c);
}

function trendPhrase(s, values) {
  const first = values[0], last = values[values.length - 1];
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const change = last - first;
  const dir = Math.abs(change) < (s.max - s.min) * 0.05 ? t('dashboard.chart.steady')
    : t(change > 0 ? 'dashboard.chart.rising_from' : 'dashboard.chart.falling_from', { from: fmtNum(first, 0) });
  return t('dashboard.chart.trend', {
    series: seriesLabel(s), value: fmtNum(last, 0), unit: s.unit, dir, low: fmtNum(lo, 0), high: fmtNum(hi, 0),
  });
}

function renderTable(shown, c) { // the newest TABLE_POINTS device times of the shown series; rebuilt when they change
  const times = [...new Set(shown.flatMap((x) => x.pts.slice(-TABLE_POINTS).map((p) => p[0])))]
    .sort((a, b) => b - a).slice(0, TABLE_POINTS);
  const cols = shown.map((x) => ({ ...x, at: new Map(x.pts.slice(-TABLE_POINTS).map((p) => [p[0], p[1]])) }));
  const sig = JSON.stringify([cols.map((x) => x.sensor), times, cols.map((x) => times.map((t) => x.at.get(t)))]);
  if (sig === c.tableSig) return;
  c.tableSig = sig;
  c.thead.replaceChildren(h('tr', {}, h('th', { scope: 'col' }, t('dashboard.chart.time')),
    ...cols.map((x) => h('th', { scope: 'col' }, `${seriesLabel(x.s)} (${x.s.unit})${x.sensor === x.s.sensors[0] ? ''
      : ` ${t('dashboard.chart.from_sensor', { sensor: x.sensor })}`}`))));
  c.tbody.replaceChildren(...times.map((t) => h('tr', { 'data-ts': String(t) }, h('th', { scope: 'row' }, fmtTs(t)),
    ...cols.map((x) => h('td', {}, x.at.has(t) ? fmtNum(x.at.get(t)) : '—')))));
}
