// accesstwin pages: DOM building and formatting helpers shared by the dashboard and the
// learner page. No dependencies; works under CSP default-src 'self'.

const SVG_NS = 'http://www.w3.org/2000/svg';
const timeFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

export const $ = (id) => document.getElementById(id);
export const fmtTime = (ms) => timeFmt.format(new Date(ms));
export const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
export const fmtNum = (x, d) => (!isNum(x) ? '—' : d == null ? String(Math.round(x * 100) / 100) : x.toFixed(d));
export const isPlainObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
export const has = (obj, key) => isPlainObject(obj) && Object.prototype.hasOwnProperty.call(obj, key);

export function toMs(t) { // Unix seconds, Unix ms or ISO 8601 → ms since epoch (or null)
  if (isNum(t)) return t > 1e12 ? t : t * 1000;
  if (typeof t === 'string' && t) { const ms = Date.parse(t); return Number.isNaN(ms) ? null : ms; }
  return null;
}

/** h('p', {class: 'x'}, 'text', child) → element; 'svg:…' tags are made in the SVG namespace. */
export function h(tag, attrs = {}, ...kids) {
  const el = tag.startsWith('svg:') ? document.createElementNS(SVG_NS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null && v !== false) el.setAttribute(k, v === true ? '' : v);
  el.append(...kids);
  return el;
}
export function setText(el, text) { if (el.textContent !== text) el.textContent = text; }
export function setAttr(el, name, value) { if (el.getAttribute(name) !== value) el.setAttribute(name, value); }

/** Icon (hidden from assistive technology) + words: state is never carried by colour alone. */
export const iconText = (icon, text) => [h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), ` ${text}`];

/** Info / warning / critical: an icon and a word for each (never colour alone). */
export const SEVERITY_ICONS = { info: 'ℹ\uFE0E', warning: '⚠\uFE0E', critical: '‼\uFE0E' };
export const severityOf = (s) => (has(SEVERITY_ICONS, s) ? s : 'info');
