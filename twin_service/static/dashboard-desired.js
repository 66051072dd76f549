// accesstwin instructor dashboard: the "Desired state" part of a kit card — what the kit has
// been asked for but not yet reported (the delta), and a <details> form that replaces the
// kit's desired state (PUT /api/v1/twins/{lab}/{kit}/desired) after checking the JSON here.
import { t } from './common/i18n.js';
import { apiFetch, h, iconText, isNum, isPlainObject, setText, valueText } from './dashboard-util.js';

const PUSH_FRAME_WAIT_MS = 5000; // the twin's frame with a pushed desired state normally comes at once
const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

/**
 * Desired keys the kit has not reached, by the server's rule (twin_service/twins/twin.py Twin.delta):
 * a value is reached when the reported value equals it (true/false as 1/0, as the kit reports
 * them); a name (a string such as `scenario: vitals`) is reported as the desired version that
 * set it, so it is reached when the reported value equals the twin's desired_version. Without
 * desired_version the page takes the server's own `delta` for names (from the snapshot or a
 * read of the twin, see needsTwinRead) and counts a name as pending until it has one.
 * k = { desired, reported, desiredVersion, serverDelta: {delta, desiredSig} | null }.
 */
export function kitDelta(k) {
  const desired = isPlainObject(k.desired) ? k.desired : {};
  const server = k.serverDelta && k.serverDelta.desiredSig === JSON.stringify(desired) ? k.serverDelta.delta : null;
  const out = {};
  for (const [key, want] of Object.entries(desired)) {
    const have = k.reported?.[key]?.value;
    let pending;
    if (typeof want === 'string') {
      if (isNum(k.desiredVersion)) pending = have !== k.desiredVersion;
      else pending = server ? has(server, key) : true;
    } else if (typeof want === 'boolean') pending = have !== (want ? 1 : 0);
    else pending = !isNum(have) || have !== want;
    if (pending) out[key] = want;
  }
  return out;
}

/** Does this frame leave a name's state to the server (no desired_version known)? */
export function needsTwinRead(k, f) {
  if (isNum(k.desiredVersion) || !isPlainObject(k.desired)) return false;
  const names = Object.keys(k.desired).filter((key) => typeof k.desired[key] === 'string');
  if (!names.length) return false;
  return isPlainObject(f.desired) || names.some((key) => f.reported && has(f.reported, key));
}

const pretty = (obj) => JSON.stringify(obj, null, 2);

function parseDesired(text) { // → [object, null] or [null, error message]
  if (!text.trim()) return [null, t('dashboard.desired.empty')];
  let value;
  try { value = JSON.parse(text); } catch (err) { return [null, t('dashboard.desired.not_json', { error: err.message })]; }
  if (!isPlainObject(value)) {
    const what = Array.isArray(value) ? 'list' : value === null ? 'null' : typeof value; // JSON's own names
    return [null, t('dashboard.desired.not_object', { what: t(`dashboard.desired.json_${what}`) })];
  }
  return [value, null];
}

function deltaItems(delta) {
  return Object.entries(delta).map(([key, want]) => h('li', {}, h('code', {}, key), ` = ${valueText(want)}`));
}

/**
 * The control of one card. `id` makes element ids unique; `ctx` = { lab, kit, token() }.
 * Returns { el, update(kitState) }.
 */
export function createDesiredControl(id, ctx) {
  const v = { sig: null, edited: false, busy: false, desired: {}, pushed: null };
  v.deltaText = h('span');
  v.deltaIcon = h('span', { class: 'icon', 'aria-hidden': 'true' });
  v.deltaLine = h('p', { class: 'delta-line' }, v.deltaIcon, ' ', v.deltaText);
  v.deltaList = h('ul', { class: 'delta-list' });

  const areaId = `${id}-desired`, hintId = `${id}-desired-hint`, errId = `${id}-desired-err`;
  v.area = h('textarea', {
    id: areaId, rows: 5, spellcheck: 'false', autocapitalize: 'none', autocomplete: 'off',
    'aria-describedby': `${hintId} ${errId}`,
  });
  v.error = h('p', { id: errId, class: 'field-error', role: 'alert' });
  v.result = h('p', { class: 'push-result', role: 'status' });
  const form = h('form', { class: 'desired-form', novalidate: true },
    h('label', { for: areaId }, t('dashboard.desired.label', { kit: ctx.kit })),
    h('p', { id: hintId, class: 'hint' }, t('dashboard.desired.hint')),
    v.area, v.error,
    h('button', { type: 'submit', class: 'btn' }, t('dashboard.desired.push')),
    v.result);
  v.details = h('details', { class: 'desired-edit' }, h('summary', {}, t('dashboard.desired.edit')), form);

  v.area.addEventListener('input', () => { v.edited = true; });
  v.details.addEventListener('toggle', () => { if (v.details.open && !v.edited) v.area.value = pretty(v.desired); });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); push(v, ctx); });

  v.el = h('div', { class: 'group desired-group' }, h('h3', {}, t('dashboard.desired.heading')), v.deltaLine, v.deltaList, v.details);
  return { el: v.el, update: (k) => update(v, k) };
}

function update(v, k) {
  const desired = isPlainObject(k.desired) ? k.desired : {};
  const delta = kitDelta(k);
  const sig = JSON.stringify([desired, delta]);
  if (sig === v.sig) return;
  v.sig = sig;
  v.desired = desired;
  if (v.pushed) { // the last push's line follows the twin, and goes once the desired state changes
    const p = v.pushed;
    if (p.sig === JSON.stringify(desired)) { p.seen = true; showPushed(v, Object.keys(delta)); }
    else if (p.seen || Date.now() - p.at > PUSH_FRAME_WAIT_MS) { v.pushed = null; v.result.replaceChildren(); }
  }
  const pending = Object.keys(delta).length;
  const [state, icon, text] = !Object.keys(desired).length ? ['none', '○', t('dashboard.desired.none')]
    : pending ? ['pending', '↻\uFE0E', t('dashboard.desired.pending', { n: pending, of: Object.keys(desired).length })]
      : ['ok', '✔\uFE0E', t('dashboard.desired.all_reported')];
  v.deltaLine.dataset.state = state;
  setText(v.deltaIcon, icon);
  setText(v.deltaText, text);
  v.deltaList.replaceChildren(...deltaItems(delta));
  v.deltaList.hidden = !pending;
  // Follow the twin in the editor unless the instructor is writing in it.
  if (!v.edited && document.activeElement !== v.area) v.area.value = pretty(desired);
}

function showPushed(v, pending) {
  const p = v.pushed;
  const keys = pending.join(', ');
  if (p.keys === keys) return;
  p.keys = keys;
  v.result.replaceChildren(...iconText('✔\uFE0E', `${t('dashboard.desired.pushed', { kit: p.kit, version: p.version })} `
    + (pending.length ? t('dashboard.desired.not_yet', { keys }) : t('dashboard.desired.all_reported'))));
}

async function push(v, ctx) {
  if (v.busy) return;
  const [value, problem] = parseDesired(v.area.value);
  if (problem) {
    v.area.setAttribute('aria-invalid', 'true');
    v.error.replaceChildren(...iconText('✖\uFE0E', problem));
    setText(v.result, '');
    v.area.focus();
    return;
  }
  v.area.removeAttribute('aria-invalid');
  v.error.replaceChildren();
  v.busy = true;
  v.pushed = null;
  setText(v.result, t('dashboard.desired.pushing'));
  try {
    const path = `/api/v1/twins/${encodeURIComponent(ctx.lab)}/${encodeURIComponent(ctx.kit)}/desired`;
    const r = await apiFetch(ctx.token(), path, { method: 'PUT', body: value });
    v.edited = false;
    v.desired = isPlainObject(r?.desired) ? r.desired : value;
    v.pushed = { sig: JSON.stringify(v.desired), kit: ctx.kit, version: r?.version ?? '?', keys: null, seen: false, at: Date.now() };
    showPushed(v, Object.keys(isPlainObject(r?.delta) ? r.delta : {}));
    v.sig = null; // the twin's next frame redraws the delta lines
    v.area.value = pretty(v.desired);
  } catch (err) {
    v.result.replaceChildren(...iconText('✖\uFE0E', t('dashboard.desired.push_failed', { error: err.message })));
  } finally {
    v.busy = false;
  }
}
