// accesstwin instructor dashboard: the trend chart of a kit card (SVG polylines with fixed
// y scales, a legend, a spoken summary as the chart's label and a data table alternative).
import { fmtNum, fmtTime, h, isNum } from './dashboard-util.js';

export const CHART_WINDOW_S = 120; // charts show the last 2 minutes
const TABLE_POINTS = 10;           // text alternative of each chart: last 10 points
const clamp01 = (x) => Math.min(1, Math.max(0, x));

// Chart series with fixed y domains; sources are tried in order ([part, key]).
export const SERIES = [
  { key: 'hr', label: 'Heart rate', unit: 'bpm', min: 0, max: 200, src: [['reported', 'hr'], ['derived', 'hr_ppg']] },
  { key: 'cpr_rate', label: 'CPR rate', unit: '/min', min: 0, max: 200, src: [['derived', 'cpr_rate']] },
  { key: 'cpr_depth', label: 'CPR depth', unit: 'mm', min: 0, max: 80, src: [['derived', 'cpr_depth_mm']] },
];

/** The chart part of one card; `onToggle` runs when its data table is opened or closed. */
export function createChart(kit, onToggle) {
  const c = { lines: {}, legend: {}, tableSig: '' };
  c.svg = h('svg:svg', { class: 'chart', viewBox: '0 0 300 100', preserveAspectRatio: 'none', role: 'img', 'aria-label': 'No trend data yet' });
  const legend = h('ul', { class: 'legend' });
  for (const s of SERIES) {
    c.lines[s.key] = c.svg.appendChild(h('svg:polyline', { class: `series series-${s.key}`, points: '' }));
    const swatch = h('svg:svg', { class: 'swatch', viewBox: '0 0 32 8', 'aria-hidden': 'true' },
      h('svg:line', { class: `series series-${s.key}`, x1: 0, y1: 4, x2: 32, y2: 4 }));
    c.legend[s.key] = legend.appendChild(h('li', { hidden: '' }, swatch, ` ${s.label} (scale ${s.min}–${s.max} ${s.unit})`));
  }
  c.thead = h('thead');
  c.tbody = h('tbody');
  c.details = h('details', { class: 'chart-data' }, h('summary', {}, 'Show data table'),
    h('table', {}, h('caption', {}, `Kit ${kit}: last ${TABLE_POINTS} points, newest first`), c.thead, c.tbody));
  c.details.addEventListener('toggle', () => { c.tableSig = ''; onToggle(); });
  c.group = h('div', { class: 'group chart-group', hidden: '' },
    h('h3', {}, 'Trend, last 2 minutes'), c.svg, legend, c.details);
  return c;
}

export function renderChart(k, c, now) {
  const t0 = now / 1000 - CHART_WINDOW_S;
  while (k.history.length && k.history[0].t < t0 - 1) k.history.shift();
  const summary = [];
  for (const s of SERIES) {
    const pts = k.history.filter((p) => isNum(p[s.key]));
    const xy = pts.map((p) => `${(((p.t - t0) / CHART_WINDOW_S) * 300).toFixed(1)},${(100 - clamp01((p[s.key] - s.min) / (s.max - s.min)) * 100).toFixed(1)}`);
    if (xy.length === 1) xy.push(xy[0]); // a lone point still shows as a dot (round line caps)
    c.lines[s.key].setAttribute('points', xy.join(' '));
    c.legend[s.key].hidden = pts.length === 0;
    if (pts.length) summary.push(trendPhrase(s, pts.map((p) => p[s.key])));
  }
  c.group.hidden = summary.length === 0;
  c.svg.setAttribute('aria-label', summary.length
    ? `Kit ${k.kit}, last 2 minutes: ${summary.join('; ')}.` : 'No trend data yet');
  if (c.details.open) renderTable(k, c);
}

function trendPhrase(s, values) {
  const first = values[0], last = values[values.length - 1];
  const lo = Math.min(...values), hi = Math.max(...values);
  const change = last - first;
  const dir = Math.abs(change) < (s.max - s.min) * 0.05 ? 'steady'
    : `${change > 0 ? 'rising' : 'falling'} from ${fmtNum(first, 0)}`;
  return `${s.label} now ${fmtNum(last, 0)} ${s.unit}, ${dir} (range ${fmtNum(lo, 0)} to ${fmtNum(hi, 0)})`;
}

function renderTable(k, c) { // rebuilt only when its last 10 points change
  const cols = SERIES.filter((s) => k.history.some((p) => isNum(p[s.key])));
  const points = k.history.slice(-TABLE_POINTS).reverse();
  const sig = JSON.stringify([cols.map((s) => s.key), points]);
  if (sig === c.tableSig) return;
  c.tableSig = sig;
  c.thead.replaceChildren(h('tr', {}, h('th', { scope: 'col' }, 'Time'),
    ...cols.map((s) => h('th', { scope: 'col' }, `${s.label} (${s.unit})`))));
  c.tbody.replaceChildren(...points.map((p) => h('tr', {}, h('th', { scope: 'row' }, fmtTime(p.t * 1000)),
    ...cols.map((s) => h('td', {}, fmtNum(p[s.key], 0))))));
}
