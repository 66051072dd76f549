// accesstwin instructor dashboard: small helpers shared by its modules (DOM building,
// formatting, the REST client). No dependencies; works under CSP default-src 'self'.

const SVG_NS = 'http://www.w3.org/2000/svg';
const timeFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

export const fmtTime = (ms) => timeFmt.format(new Date(ms));
export const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
export const fmtNum = (x, d) => (!isNum(x) ? '—' : d == null ? String(Math.round(x * 100) / 100) : x.toFixed(d));
export const isPlainObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);

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

/** Icon (hidden from assistive technology) + words: state is never carried by colour alone. */
export const iconText = (icon, text) => [h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), ` ${text}`];

/** A desired/reported value as short text: strings as they are, anything else as JSON. */
export function valueText(v) {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

// ---------- REST ----------
export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
  /** 401/403/429: polling on would only add failed attempts (the server blocks the address). */
  get isAuth() { return this.status === 401 || this.status === 403 || this.status === 429; }
}

function detailText(status, body) { // FastAPI: {"detail": "text"} or {"detail": [{loc, msg}, …]}
  const d = body && body.detail;
  if (typeof d === 'string' && d) return d;
  if (Array.isArray(d) && d.length) {
    return d.map((e) => {
      const where = Array.isArray(e?.loc) ? e.loc.filter((p) => p !== 'body').join('.') : '';
      return `${where ? `${where}: ` : ''}${e?.msg ?? 'invalid'}`;
    }).join('; ');
  }
  if (status === 401) return 'not authorised — check the link’s token';
  return `the server answered ${status}`;
}

/** fetch a JSON API path with the instructor token; resolves to the parsed body or throws ApiError. */
export async function apiFetch(token, path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'the server could not be reached');
  }
  let data = null;
  try { data = await res.json(); } catch { /* empty or not JSON */ }
  if (!res.ok) throw new ApiError(res.status, detailText(res.status, data));
  return data;
}
