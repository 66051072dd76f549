// accesstwin learner page: the patient monitor (region "Patient monitor"). Fed by the session
// websocket's `twin` frame (the kit's twin, the monitor's spec with NEWS2 bands, recent history)
// and the kit's `twin.delta` frames. Every vital of the scenario shows its name, value and unit
// as large text, a trend arrow with its word, and its state in words and shape (never colour
// alone): "High"/"Low" with ▲/▼ when out of range, "ALARM" with ‼ and a double frame, "stale"
// with ◷ and a dashed frame. Before the kit reports anything: "Waiting for the kit".
// Every word comes from the page's catalogue (learn.monitor.*, static/i18n/{en,ar,zh}.json);
// numbers keep their Western digits and times are formatted as everywhere (docs/languages.md).
import { $, fmtNum, fmtTime, h, has, isNum, isPlainObject, setAttr, setText, toMs } from './common/dom.js';
import { t, tOr } from './common/i18n.js';

const MAX_POINTS = 240;           // trend samples kept per vital
const TREND_MIN_SPAN = 0.25;      // of the window: less history than this shows no trend yet
const JUDGE = { normal: '✔\uFE0E', out_of_range: null, alarm: '‼\uFE0E' }; // words: learn.monitor.{state}
const TREND = { rising: '↑', falling: '↓', steady: '→', none: '·' }; // words: learn.monitor.trend.{trend}

export function createMonitor() {
  const m = {
    spec: null, shown: [], partOf: {}, staleMs: 10000, trendWindowS: 60,
    lab: null, kit: null, version: null, online: null, offlineSince: null, reported: {},
    points: {}, rows: new Map(), clockOffsetMs: null, everReported: false, connection: 'connecting',
  };

  // ---------- state ----------
  function observeClock(entry, arrivedMs) { // browser − server, as the dashboard (never over-estimates age)
    const rx = toMs(entry?.received_at);
    if (rx === null) return;
    const d = arrivedMs - rx;
    if (m.clockOffsetMs === null || d < m.clockOffsetMs) m.clockOffsetMs = d;
  }
  function isStale(entry, nowMs) {
    if (!entry) return false;
    if (entry.stale === true) return true;
    const rx = toMs(entry.received_at);
    return rx !== null && nowMs - (m.clockOffsetMs ?? 0) - rx > m.staleMs;
  }
  function addPoint(name, ts, value) {
    if (!isNum(ts) || !isNum(value)) return;
    const list = (m.points[name] ??= []);
    if (list.length && ts <= list[list.length - 1][0]) {
      if (ts === list[list.length - 1][0]) list[list.length - 1][1] = value;
      return; // older than what we have: history, already counted
    }
    list.push([ts, value]);
    if (list.length > MAX_POINTS) list.splice(0, list.length - MAX_POINTS);
  }
  function mergeReported(reported, arrivedMs, fromSnapshot) {
    if (!isPlainObject(reported)) return;
    for (const [name, entry] of Object.entries(reported)) {
      if (!isPlainObject(entry) || !isNum(entry.value)) continue;
      const old = m.reported[name];
      if (old && isNum(old.ts) && isNum(entry.ts) && entry.ts < old.ts) continue; // "latest" = newest device time
      m.reported[name] = entry;
      m.everReported = true;
      if (!fromSnapshot || entry.stale === false) observeClock(entry, arrivedMs);
      addPoint(name, entry.ts, entry.value);
    }
  }
  function setOnline(online, atMs) {
    if (online === m.online) return;
    m.online = online;
    m.offlineSince = online ? null : atMs;
  }

  /** The `twin` frame: a fresh start (sent on every (re)connect), history included. */
  function applyTwin(f) {
    const now = Date.now();
    const spec = isPlainObject(f.monitor) ? f.monitor : {};
    m.spec = new Map((Array.isArray(spec.vitals) ? spec.vitals : []).filter((v) => typeof v?.name === 'string').map((v) => [v.name, v]));
    m.shown = Array.isArray(spec.shown) ? spec.shown.filter((n) => m.spec.has(n)) : [];
    m.partOf = isPlainObject(spec.part_of) ? spec.part_of : {};
    if (isNum(spec.trend_window_s)) m.trendWindowS = spec.trend_window_s;
    if (isNum(f.stale_after_s)) m.staleMs = f.stale_after_s * 1000;
    m.lab = typeof f.lab === 'string' ? f.lab : null;
    m.kit = typeof f.kit === 'string' ? f.kit : null;
    const doc = isPlainObject(f.twin) ? f.twin : null;
    m.reported = {};
    m.version = doc && isNum(doc.version) ? doc.version : null;
    if (isPlainObject(f.history)) { // replaces what this page had: the server's history is complete
      for (const [name, pts] of Object.entries(f.history)) {
        if (!Array.isArray(pts)) continue;
        m.points[name] = [];
        for (const p of pts) if (Array.isArray(p)) addPoint(name, p[0], p[1]);
      }
    }
    if (doc) {
      mergeReported(doc.reported, now, true);
      if (typeof doc.online === 'boolean') setOnline(doc.online, toMs(doc.updated_at) ?? now);
    }
    render(now);
  }

  /** A `twin.delta` of the session's kit (frames of other kits are ignored). */
  function applyDelta(f) {
    if (m.spec === null || f.lab !== m.lab || f.kit !== m.kit) return;
    if (isNum(f.version) && isNum(m.version) && f.version <= m.version && f.full !== true) return; // old or repeated
    if (isNum(f.version)) m.version = f.version;
    const now = Date.now();
    mergeReported(f.reported, now, false);
    if (typeof f.online === 'boolean') setOnline(f.online, now);
    render(now);
  }

  // ---------- what each row shows ----------
  function names() { // the scenario's vitals, then any other known vital the kit reports
    const out = [...m.shown];
    const order = [...m.spec.keys()];
    const more = new Set();
    for (const name of Object.keys(m.reported)) {
      const row = m.partOf[name] ?? name;
      if (m.spec.has(row) && !out.includes(row)) more.add(row);
    }
    return [...out, ...[...more].sort((a, b) => order.indexOf(a) - order.indexOf(b))];
  }
  function score(v, value) { // NEWS2 (accessibility/news2.py): rounded half up as a monitor shows it
    const scale = 10 ** (isNum(v.judge_decimals) ? v.judge_decimals : 0);
    const shown = Math.floor(value * scale + 0.5 + 1e-9) / scale;
    for (const [bound, s] of Array.isArray(v.bands) ? v.bands : []) if (bound === null || shown <= bound) return s;
    return 0;
  }
  function judge(v, value) {
    const s = score(v, value);
    if (s === 0) return { state: 'normal', dir: null };
    const low = Array.isArray(v.normal) && isNum(v.normal[0]) && value <= v.normal[0];
    return { state: s >= 3 ? 'alarm' : 'out_of_range', dir: low ? 'low' : 'high' };
  }
  function trend(name, step) {
    const list = m.points[name];
    if (!list || list.length < 2) return 'none';
    const [tNew, vNew] = list[list.length - 1];
    const from = tNew - m.trendWindowS;
    const base = list.find(([t]) => t >= from);
    if (!base || tNew - base[0] < m.trendWindowS * TREND_MIN_SPAN) return 'none';
    const d = vNew - base[1];
    if (Math.abs(d) < step) return 'steady';
    return d > 0 ? 'rising' : 'falling';
  }
  function rowData(name, now) {
    const v = m.spec.get(name);
    const offline = m.online === false;
    const entries = name === 'bp' ? [m.reported.sbp, m.reported.dbp].filter(Boolean) : [m.reported[name]].filter(Boolean);
    if (!entries.length) return { name, v, text: '---', missing: true };
    const stale = offline || entries.some((e) => isStale(e, now));
    const main = name === 'bp' ? m.reported.sbp : entries[0];
    const text = name === 'bp'
      ? `${fmtNum(m.reported.sbp?.value, 0)}/${fmtNum(m.reported.dbp?.value, 0)}`
      : fmtNum(main.value, v.decimals);
    const rx = Math.max(...entries.map((e) => toMs(e.received_at) ?? 0));
    return {
      name, v, text, missing: false, stale, at: rx ? rx + (m.clockOffsetMs ?? 0) : null,
      ...(main && isNum(main.value) ? judge(v, main.value) : { state: 'normal', dir: null }),
      trend: trend(name === 'bp' ? 'sbp' : name, isNum(v.trend_step) ? v.trend_step : 0),
    };
  }

  // ---------- render ----------
  // `text` with its one \u0000 replaced by the node `time` (a <time>, isolated in RTL text).
  function withTime(text, time) {
    const [before, after = ''] = text.split('\u0000');
    return [before, time, after].filter((x) => x !== '');
  }
  function rowView(name, v) {
    const r = {
      value: h('span', { class: 'vital-num' }), unit: h('span', { class: 'vital-unit' }, v.unit ?? ''), // the vocabulary's unit, as monitors show it
      trendIcon: h('span', { class: 'icon', 'aria-hidden': 'true' }), trendText: h('span', {}),
      flagIcon: h('span', { class: 'icon', 'aria-hidden': 'true' }), flagText: h('span', {}),
      staleLine: h('span', { class: 'vital-stale', hidden: '' }),
    };
    r.flag = h('span', { class: 'vital-flag' }, r.flagIcon, ' ', r.flagText);
    r.el = h('div', { class: 'vital', 'data-name': name },
      h('dt', { class: 'vital-name' }, tOr(`learn.monitor.vital.${name}`, v.label ?? name)),
      h('dd', { class: 'vital-value' }, r.value, ' ', r.unit),
      h('dd', { class: 'vital-marks' },
        h('span', { class: 'vital-trend' }, r.trendIcon, ' ', r.trendText), r.flag, r.staleLine));
    return r;
  }
  function render(now = Date.now()) {
    if (m.spec === null) return;
    const list = $('vitals');
    const wanted = names();
    for (const [name, r] of m.rows) if (!wanted.includes(name)) { r.el.remove(); m.rows.delete(name); }
    wanted.forEach((name, i) => {
      let r = m.rows.get(name);
      if (!r) { r = rowView(name, m.spec.get(name)); m.rows.set(name, r); }
      if (list.children[i] !== r.el) list.insertBefore(r.el, list.children[i] ?? null);
      const d = rowData(name, now);
      setText(r.value, d.text);
      const state = d.missing ? 'missing' : d.state;
      setAttr(r.el, 'data-state', state);
      r.el.classList.toggle('is-stale', Boolean(d.stale));
      if (d.missing) {
        setText(r.trendIcon, ''); setText(r.trendText, '');
        setText(r.flagIcon, '…'); setText(r.flagText, t('learn.monitor.no_reading'));
      } else {
        setText(r.trendIcon, TREND[d.trend]); setText(r.trendText, t(`learn.monitor.trend.${d.trend}`));
        const dirIcon = d.dir === 'low' ? '▼\uFE0E' : '▲\uFE0E';
        setText(r.flagIcon, JUDGE[d.state] ?? dirIcon);
        const word = t(`learn.monitor.${d.state}`);
        setText(r.flagText, d.state === 'normal' ? word
          : t('learn.monitor.flag_dir', { state: word, dir: t(`learn.monitor.${d.dir === 'low' ? 'low' : 'high'}`) }));
      }
      r.staleLine.hidden = !d.stale;
      if (d.stale) {
        const what = t(m.online === false ? 'learn.monitor.stale_offline' : 'learn.monitor.stale');
        const when = d.at ? h('time', {}, fmtTime(d.at)) : null;
        r.staleLine.replaceChildren(h('span', { class: 'icon', 'aria-hidden': 'true' }, '◷'), ' ', what,
          ...(when ? [' ', ...withTime(t('learn.monitor.received', { time: '\u0000' }), when)] : []));
      }
    });
    $('monitor-empty').hidden = wanted.length > 0;
    renderState();
  }
  function renderState() {
    let icon = '●', text = t('learn.monitor.live', { kit: m.kit ?? '' }).trim(), state = 'live';
    if (!m.everReported) { icon = '…'; text = t('learn.monitor.waiting'); state = 'waiting'; }
    else if (m.online === false) {
      icon = '✖\uFE0E'; state = 'offline';
      text = m.offlineSince ? t('learn.monitor.offline_since', { time: fmtTime(m.offlineSince) }) : t('learn.monitor.offline');
    }
    if (m.connection !== 'live' && m.spec !== null) { icon = '↻'; state = 'reconnecting'; text = t('learn.monitor.reconnecting'); }
    const el = $('monitor-state');
    el.dataset.state = state;
    setText($('monitor-state-icon'), icon);
    setText($('monitor-state-text'), text);
  }

  return {
    applyTwin, applyDelta,
    setConnection(c) { m.connection = c; renderState(); if (c !== 'live') render(); },
    tick() { render(); },
    get present() { return m.spec !== null && (m.shown.length > 0 || m.everReported); },
    /** The newest value of a sensor, or undefined when there is none or it is stale. */
    fresh(name) {
      const e = m.reported[name];
      return e && m.online !== false && !isStale(e, Date.now()) ? e.value : undefined;
    },
    get state() {
      return structuredClone({ lab: m.lab, kit: m.kit, version: m.version, online: m.online, reported: m.reported, points: m.points, shown: m.shown });
    },
    has: (name) => has(m.reported, name),
  };
}
