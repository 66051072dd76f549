// accesstwin instructor dashboard: the debounce and hold times a finished switch practice
// proposes (the session summary's `timing`, docs/switch-scanning.md), shown in the
// session's row with the reasons, and an "Accept" button that writes them into the
// learner's profile (POST /api/v1/sessions/{id}/timing/accept, instructor token).
import { t, tPhrases } from './common/i18n.js';
import { h, iconText, setText } from './dashboard-util.js';

const OK = '✔\uFE0E', BAD = '✖\uFE0E';

/** The practice part of a session row (hidden until a proposal comes). */
export function createPractice(onAccept) {
  const p = {};
  p.text = h('p', { class: 'practice-timing' });
  p.why = h('p', { class: 'practice-why muted' });
  p.who = h('span', { class: 'visually-hidden' });
  p.accept = h('button', { type: 'button', class: 'btn', 'data-action': 'accept-timing' }, t('dashboard.practice.accept'), p.who);
  p.status = h('p', { role: 'status', class: 'practice-status' });
  p.el = h('div', { class: 'practice', hidden: true }, p.text, p.why, p.accept, p.status);
  p.accept.addEventListener('click', () => onAccept(p));
  return p;
}

/** Show the summary's `timing` (or hide the part when there is none). */
export function updatePractice(p, summary) {
  const timing = summary && typeof summary.timing === 'object' ? summary.timing : null;
  p.el.hidden = timing === null;
  if (timing === null) return;
  const { proposed = {}, current = {} } = timing;
  setText(p.text, t('dashboard.practice.proposed', {
    debounce: proposed.debounce_ms, hold: proposed.hold_ms,
    debounce_now: current.debounce_ms, hold_now: current.hold_ms,
  }));
  setText(p.why, tPhrases(timing.explained_phrases, String(timing.explained ?? '')));
  setText(p.who, t('dashboard.practice.for', { learner: String(summary.learner_id ?? '?') }));
  p.accept.hidden = timing.accepted === true;
  if (timing.accepted === true && !p.status.textContent) {
    p.status.replaceChildren(...iconText(OK, t('dashboard.practice.accepted')));
  }
}

/** Accept the proposal through `api(path, opts)`; says what happened in the row. */
export async function acceptTiming(api, path, p) {
  p.accept.disabled = true;
  try {
    const got = await api(path, { method: 'POST' });
    p.accept.hidden = true;
    p.status.replaceChildren(...iconText(OK, t('dashboard.practice.accepted')));
    return got;
  } catch (err) {
    p.status.replaceChildren(...iconText(BAD, t('dashboard.practice.failed', { reason: err.message })));
    return null;
  } finally {
    p.accept.disabled = false;
  }
}
