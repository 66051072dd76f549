// accesstwin pages: a websocket that reconnects by itself with backoff (doubling from
// `minMs` to `maxMs`, ±20 % jitter) and stops for good when the server refuses the token.
// Its state goes to `onState`: 'live' on the first frame of a connection, then
// 'reconnecting' for the first `quickRetries` attempts and 'offline' after them (or when the
// browser says it is offline), 'unauthorised' after an auth close code.

export const AUTH_CLOSE_CODES = new Set([1008, 4401, 4403]);

export class ReconnectingSocket {
  /** opts: { url() → string, protocols() → string[]?, onFrame(text), onState(state), onClose(event)?, minMs, maxMs, quickRetries } */
  constructor(opts) {
    this.opts = { minMs: 1000, maxMs: 15000, quickRetries: 2, ...opts };
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.stopped = false;
    window.addEventListener('online', () => { if (this.retryTimer !== null) this.connect(); });
  }

  get open() { return this.ws !== null && this.ws.readyState === WebSocket.OPEN; }

  send(text) {
    if (!this.open) return false;
    this.ws.send(text);
    return true;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    let ws;
    try { ws = new WebSocket(this.opts.url(), this.opts.protocols?.() ?? []); } catch { this.scheduleReconnect(); return; }
    this.ws = ws;
    let live = false;
    ws.onmessage = (ev) => {
      if (!live) { live = true; this.attempt = 0; this.opts.onState('live'); }
      this.opts.onFrame(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.opts.onClose?.(ev);
      if (AUTH_CLOSE_CODES.has(ev.code)) { this.stopped = true; this.opts.onState('unauthorised'); return; }
      this.scheduleReconnect();
    };
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const { minMs, maxMs, quickRetries } = this.opts;
    const base = Math.min(maxMs, minMs * 2 ** this.attempt);
    const delay = Math.min(maxMs, base * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    this.opts.onState(this.attempt <= quickRetries && navigator.onLine !== false ? 'reconnecting' : 'offline');
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  stop() { this.stopped = true; clearTimeout(this.retryTimer); this.retryTimer = null; }
}

/** A token as a websocket subprotocol (`bearer.<base64url>`), so it never goes into a URL. */
export function bearerProtocols(token) {
  if (!token) return [];
  const bytes = new TextEncoder().encode(token);
  const b64 = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return ['accesstwin', `bearer.${b64}`];
}

/** ws(s)://this host + path (+ query). */
export function socketUrl(path, params = {}) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== '')).toString();
  return `${proto}//${location.host}${path}${q ? `?${q}` : ''}`;
}
