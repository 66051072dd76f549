// accesstwin instructor dashboard: helpers shared by its modules (the REST client, value
// text); DOM building and formatting come from common/dom.js and are re-exported here.

import { t, tOr } from './common/i18n.js';

export { fmtNum, fmtTime, h, iconText, isNum, isPlainObject, setText, toMs } from './common/dom.js';

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
  // The machine code beside the detail (twin_service/api/errors.py): said in the page's
  // language when the catalogue has words for it (error.{code}), else the detail as sent.
  if (body && typeof body.code === 'string' && /^[a-z_]+$/.test(body.code)) {
    const said = tOr(`error.${body.code}`, null, body.values ?? {});
    if (said !== null) return said;
  }
  if (typeof d === 'string' && d) return d;
  if (Array.isArray(d) && d.length) {
    return d.map((e) => {
      const where = Array.isArray(e?.loc) ? e.loc.filter((p) => p !== 'body').join('.') : '';
      return `${where ? `${where}: ` : ''}${e?.msg ?? 'invalid'}`;
    }).join('; ');
  }
  if (status === 401) return t('dashboard.error.unauthorised');
  return t('dashboard.error.status', { status });
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
    throw new ApiError(0, t('dashboard.error.unreachable'));
  }
  let data = null;
  try { data = await res.json(); } catch { /* empty or not JSON */ }
  if (!res.ok) throw new ApiError(res.status, detailText(res.status, data));
  return data;
}
