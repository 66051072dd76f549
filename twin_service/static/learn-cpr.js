// accesstwin learner page: the CPR gauge of a compressions step, per compression. Fed by the
// `compression.release` frames of the session websocket ({ts, depth_mm, interval_s,
// rate_per_min, in_target: {depth, rate}}: the meters move at the release, before the chest
// is back at rest), the `compression` frames that follow with the same ts and the recoil
// ({ts, depth_mm, recoil_mm, interval_s, rate_per_min, in_target: {depth, rate, recoil}}:
// recoil and count; the meters only for one whose release the page did not see, so each
// compression moves them once) and the twin's derived cpr_ccf. Two
// role="meter" elements, "Compression depth" (0-80 mm, target band 50-60 drawn) and
// "Compression rate" (0-160 /min, band 100-120 drawn), each with its value as text beside
// it; recoil and compression fraction as text; a running "compressions in target" count.
// No compression for NO_COMPRESSIONS_MS: the gauge says "No compressions", never the last
// value forever. Targets: AHA 2020 (docs/domain.md "CPR quality").
import { $, h, isNum, isPlainObject, setAttr, setText, toMs } from './common/dom.js';
import { t } from './common/i18n.js';

export const DEPTH = { min: 0, max: 80, low: 50, high: 60 };
export const RATE = { min: 0, max: 160, low: 100, high: 120 };
const NO_COMPRESSIONS_MS = 3000;  // as the scenario's "stopped" rule (3 s without a fresh rate)
const OK = '✔\uFE0E', LOW = '▼\uFE0E', HIGH = '▲\uFE0E';

function bandText(value, band, words) { // → [icon, word]: shape and word, never colour alone
  if (value < band.low) return [LOW, words.low];
  if (value > band.high) return [HIGH, words.high];
  return [OK, t('learn.gauge.in_target')];
}

export function createGauge({ onCompression } = {}) {
  const g = { count: 0, inTarget: 0, last: null, lastAt: null, shownTs: null, ccf: null, stopped: true, built: false, lab: null, kit: null };

  function meter(id, label, range, unit) {
    const fill = h('span', { class: 'meter-fill' });
    const band = h('span', { class: 'meter-band' });
    const span = range.max - range.min;
    band.style.insetInlineStart = `${((range.low - range.min) / span) * 100}%`;
    band.style.inlineSize = `${((range.high - range.low) / span) * 100}%`;
    const el = h('div', {
      id, class: 'meter', role: 'meter', 'aria-label': label, 'aria-valuemin': String(range.min),
      'aria-valuemax': String(range.max), 'aria-valuenow': String(range.min), 'aria-valuetext': t('learn.gauge.none_yet'),
      'aria-describedby': `${id}-scale`,
    }, band, fill);
    const scale = h('p', { id: `${id}-scale`, class: 'meter-scale' },
      h('span', {}, `${range.min}`), h('span', { class: 'meter-target' }, t('learn.gauge.target', { low: range.low, high: range.high, unit })), h('span', {}, `${range.max} ${unit}`));
    const value = h('p', { class: 'meter-value' }, h('span', { class: 'meter-num' }, '—'), ` ${unit} `, h('span', { class: 'meter-word' }));
    return { el, fill, scale, value, range, unit };
  }

  const depth = meter('depth-meter', t('learn.gauge.depth_label'), DEPTH, 'mm');
  const rate = meter('rate-meter', t('learn.gauge.rate_label'), RATE, '/min');

  function build() {
    if (g.built) return;
    g.built = true;
    const block = (title, m) => h('div', { class: 'gauge-item' }, h('h3', { class: 'gauge-h' }, title), m.value, m.el, m.scale);
    $('gauge-meters').replaceChildren(block(t('learn.gauge.depth'), depth), block(t('learn.gauge.rate'), rate));
  }

  function setMeter(m, value, words) {
    const v = Math.max(m.range.min, Math.min(m.range.max, value));
    m.fill.style.inlineSize = `${((v - m.range.min) / (m.range.max - m.range.min)) * 100}%`;
    setAttr(m.el, 'aria-valuenow', String(Math.round(value)));
    setAttr(m.el, 'aria-valuetext', t('learn.gauge.valuetext', { value: Math.round(value), unit: m.unit, word: words[1] }));
    setText(m.value.querySelector('.meter-num'), String(Math.round(value)));
    setText(m.value.querySelector('.meter-word'), `${words[0]} ${words[1]}`);
    m.el.dataset.state = words[0] === OK ? 'ok' : 'off';
  }
  function clearMeter(m, text) {
    m.fill.style.inlineSize = '0%';
    setAttr(m.el, 'aria-valuenow', String(m.range.min));
    setAttr(m.el, 'aria-valuetext', text);
    setText(m.value.querySelector('.meter-num'), '—');
    setText(m.value.querySelector('.meter-word'), text);
    m.el.dataset.state = 'none';
  }

  // Whether the meters have yet to show this compression: its release (or a later one's)
  // moved them already unless it is newer (device time) or the gauge had stopped.
  const unshown = (f) => g.stopped || g.shownTs === null || !isNum(f.ts) || f.ts > g.shownTs;
  const ofKit = (f) => isNum(f.depth_mm) && (g.lab === null || (f.lab === g.lab && f.kit === g.kit));

  function showMeters(f) { // depth and rate: once per compression
    g.shownTs = isNum(f.ts) ? f.ts : g.shownTs;
    g.stopped = false;
    setMeter(depth, f.depth_mm, bandText(f.depth_mm, DEPTH, { low: t('learn.gauge.too_shallow'), high: t('learn.gauge.too_deep') }));
    if (isNum(f.rate_per_min)) setMeter(rate, f.rate_per_min, bandText(f.rate_per_min, RATE, { low: t('learn.gauge.too_slow'), high: t('learn.gauge.too_fast') }));
    else clearMeter(rate, t('learn.gauge.first'));
    $('gauge-state').dataset.state = 'live';
    setText($('gauge-state-text'), t('learn.gauge.compressing'));
  }

  /** A `compression.release` frame of the session's kit: its depth and rate, at once. */
  function applyRelease(f) {
    if (!ofKit(f) || !unshown(f)) return;
    build();
    g.lastAt = Date.now();
    showMeters(f);
  }

  /** A `compression` frame of the session's kit. */
  function applyCompression(f) {
    if (!ofKit(f)) return;
    build();
    const it = isPlainObject(f.in_target) ? f.in_target : {};
    g.count += 1;
    if (it.depth === true && it.recoil === true && it.rate !== false) g.inTarget += 1;
    g.last = f;
    g.lastAt = Date.now();
    if (unshown(f)) showMeters(f); // its release was not seen (a page that just connected)
    if (isNum(f.recoil_mm)) {
      setText($('gauge-recoil'), it.recoil === false
        ? `${LOW} ${t('learn.gauge.not_released', { mm: Math.round(f.recoil_mm) })}`
        : `${OK} ${t('learn.gauge.released', { mm: Math.round(f.recoil_mm) })}`);
    }
    renderCount();
    onCompression?.(f);
  }
  function applyDerived(derived) {
    const e = isPlainObject(derived) ? derived.cpr_ccf : null;
    if (isPlainObject(e) && isNum(e.value)) {
      g.ccf = e.value;
      const good = e.value >= 80 ? `${OK} ${t('learn.gauge.ccf_good')}` : e.value >= 60 ? `${OK} ${t('learn.gauge.ccf_enough')}` : `${LOW} ${t('learn.gauge.ccf_low')}`;
      setText($('gauge-ccf'), t('learn.gauge.ccf', { pct: Math.round(e.value), verdict: good }));
    }
  }
  function renderCount() {
    setText($('gauge-count'), t('learn.gauge.count', { in_target: g.inTarget, count: g.count }));
  }
  function tick(now = Date.now()) {
    if (!g.built || g.stopped || g.lastAt === null || now - g.lastAt < NO_COMPRESSIONS_MS) return;
    g.stopped = true;
    clearMeter(depth, t('learn.gauge.none'));
    clearMeter(rate, t('learn.gauge.none'));
    $('gauge-state').dataset.state = 'stopped';
    setText($('gauge-state-text'), t('learn.gauge.none_for', { s: Math.round((now - g.lastAt) / 1000) }));
  }
  function show(kit) {
    if (kit) { g.lab = kit.lab; g.kit = kit.kit; }
    build();
    $('gauge').hidden = false;
  }

  return {
    applyRelease, applyCompression, applyDerived, tick, show, hide() { $('gauge').hidden = true; },
    get state() { return { count: g.count, in_target: g.inTarget, stopped: g.stopped, last_ts: toMs(g.last?.ts) }; },
  };
}
