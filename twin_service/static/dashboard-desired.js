// accesstwin instructor dashboard: the "Desired state" part of a kit card — what the kit has
// been asked for but not yet reported (the delta), and a <details> form that replaces the
// kit's desired state (PUT /api/v1/twins/{lab}/{kit}/desired) after checking the JSON here.
import { apiFetch, h, iconText, isPlainObject, setText, valueText } from './dashboard-util.js';

/** Desired keys whose reported value differs or is missing (as the server's Twin.delta()). */
export function desiredDelta(desired, reported) {
  const out = {};
  for (const [key, want] of Object.entries(desired ?? {})) {
    if (!reported?.[key] || reported[key].value !== want) out[key] = want;
  }
  return out;
}

const pretty = (obj) => JSON.stringify(obj, null, 2);

function parseDesired(text) { // → [object, null] or [null, error message]
  if (!text.trim()) return [null, 'Enter a JSON object, for example {"scenario": "cpr"}, or {} to clear the desired state.'];
  let value;
  try { value = JSON.parse(text); } catch (err) { return [null, `This is not valid JSON: ${err.message}.`]; }
  if (!isPlainObject(value)) {
    const what = Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
    return [null, `The desired state must be a JSON object in braces, like {"scenario": "cpr"}, not ${what}.`];
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
  const v = { sig: null, edited: false, busy: false, desired: {} };
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
    h('label', { for: areaId }, `Desired state of kit ${ctx.kit} (JSON object)`),
    h('p', { id: hintId, class: 'hint' }, 'Replaces the whole desired state, for example {"scenario": "cpr", "metronome_bpm": 110}.'),
    v.area, v.error,
    h('button', { type: 'submit', class: 'btn' }, 'Push to kit'),
    v.result);
  v.details = h('details', { class: 'desired-edit' }, h('summary', {}, 'Edit desired state'), form);

  v.area.addEventListener('input', () => { v.edited = true; });
  v.details.addEventListener('toggle', () => { if (v.details.open && !v.edited) v.area.value = pretty(v.desired); });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); push(v, ctx); });

  v.el = h('div', { class: 'group desired-group' }, h('h3', {}, 'Desired state'), v.deltaLine, v.deltaList, v.details);
  return { el: v.el, update: (k) => update(v, k) };
}

function update(v, k) {
  const desired = isPlainObject(k.desired) ? k.desired : {};
  const delta = desiredDelta(desired, k.reported);
  const sig = JSON.stringify([desired, delta]);
  if (sig === v.sig) return;
  v.sig = sig;
  v.desired = desired;
  const pending = Object.keys(delta).length;
  const [state, icon, text] = !Object.keys(desired).length ? ['none', '○', 'None set.']
    : pending ? ['pending', '↻\uFE0E', `Not yet reported by the kit (${pending} of ${Object.keys(desired).length}):`]
      : ['ok', '✔\uFE0E', 'The kit reports every desired value.'];
  v.deltaLine.dataset.state = state;
  setText(v.deltaIcon, icon);
  setText(v.deltaText, text);
  v.deltaList.replaceChildren(...deltaItems(delta));
  v.deltaList.hidden = !pending;
  // Follow the twin in the editor unless the instructor is writing in it.
  if (!v.edited && document.activeElement !== v.area) v.area.value = pretty(desired);
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
  setText(v.result, 'Pushing…');
  try {
    const path = `/api/v1/twins/${encodeURIComponent(ctx.lab)}/${encodeURIComponent(ctx.kit)}/desired`;
    const r = await apiFetch(ctx.token(), path, { method: 'PUT', body: value });
    const keys = Object.keys(r?.delta ?? {});
    v.result.replaceChildren(...iconText('✔\uFE0E', `Pushed to kit ${ctx.kit}: twin version ${r?.version ?? '?'}. `
      + (keys.length ? `Not yet reported by the kit: ${keys.join(', ')}.` : 'The kit already reports every desired value.')));
    v.edited = false;
    v.desired = isPlainObject(r?.desired) ? r.desired : value;
    v.area.value = pretty(v.desired);
  } catch (err) {
    v.result.replaceChildren(...iconText('✖\uFE0E', `Not pushed: ${err.message}.`));
  } finally {
    v.busy = false;
  }
}
