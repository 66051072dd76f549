// accesstwin instructor dashboard: the lab's learner sessions (table with scores, "Next step",
// "Stop" with an in-page confirm step, "Report") and the "Start a session" form.
// The list comes from GET /api/v1/sessions (filtered to this lab), every 5 s, at once when a
// feedback frame names a session it does not list, and soon after other feedback frames. Rows are updated in place so keyboard focus is never lost.
import { ApiError, apiFetch, fmtNum, h, iconText, setText } from './dashboard-util.js';
import { acceptTiming, createPractice, updatePractice } from './dashboard-practice.js';

const REFRESH_MS = 5000;
const FEEDBACK_REFRESH_MS = 500; // feedback frames within this time share one refresh
const LEARNER_RE = /^[A-Za-z0-9_-]{1,64}$/;
const OK = '✔\uFE0E', BAD = '✖\uFE0E', RUNNING = '▶\uFE0E';

const $ = (id) => document.getElementById(id);
const api = (s, path, opts) => apiFetch(s.token(), path, opts);
const sessionPath = (id, action) => `/api/v1/sessions/${encodeURIComponent(id)}/${action}`;

/** Start the sessions part of the page; ctx = { lab, token() }. Returns { setKits, onFeedback }. */
export function initSessions(ctx) {
  const s = {
    ...ctx, rows: new Map(), scenarios: null, polling: true, inflight: false, again: false,
    feedbackTimer: null, asked: new Set(), statusIsLoadError: false, kits: [], scenarioError: null, starting: false,
  };
  setText($('sessions-caption'), `Sessions in lab ${ctx.lab}, newest first; refreshed every 5 seconds`);
  $('start-form').addEventListener('submit', (ev) => { ev.preventDefault(); startSession(s); });
  $('learner-id').addEventListener('input', () => {
    if ($('learner-id').getAttribute('aria-invalid') === 'true' && LEARNER_RE.test($('learner-id').value.trim())) {
      $('learner-id').removeAttribute('aria-invalid');
      $('learner-error').replaceChildren();
    }
  });
  $('start-scenario').addEventListener('change', () => showScenarioSummary(s));
  watchTableOverflow();
  setKits(s, []);
  loadScenarios(s).then(() => refresh(s));
  s.interval = setInterval(() => refresh(s), REFRESH_MS);
  return {
    setKits: (kits) => setKits(s, kits),
    onFeedback: (f) => {
      if (typeof f.session_id !== 'string') return;
      // A session this table does not list yet (started elsewhere, or just now): at once, once.
      if (!s.rows.has(f.session_id) && !s.asked.has(f.session_id)) {
        s.asked.add(f.session_id);
        refresh(s);
        return;
      }
      if (s.feedbackTimer !== null) return; // a known session: its step and score, soon
      s.feedbackTimer = setTimeout(() => { s.feedbackTimer = null; refresh(s); }, FEEDBACK_REFRESH_MS);
    },
  };
}

// ---------- the "Start a session" form ----------
function setKits(s, kits) {
  if (kits.join('\n') === s.kits.join('\n')) return;
  s.kits = [...kits];
  const select = $('start-kit');
  const was = select.value;
  select.replaceChildren(...(kits.length
    ? kits.map((k) => h('option', { value: k }, k))
    : [h('option', { value: '' }, 'No kit has reported yet')]));
  if (kits.includes(was)) select.value = was;
}

async function loadScenarios(s) {
  try {
    const list = await api(s, '/api/v1/scenarios');
    s.scenarios = new Map((Array.isArray(list) ? list : []).map((sc) => [sc.id, sc]));
    $('start-scenario').replaceChildren(...[...s.scenarios.values()].map((sc) =>
      h('option', { value: sc.id }, typeof sc.title === 'string' && sc.title ? sc.title : sc.id)));
    showScenarioSummary(s);
    if (s.scenarioError) { s.scenarioError = null; showResult([]); }
    for (const row of s.rows.values()) row.sig = ''; // scenario titles are now known
  } catch (err) { // said once (not again at each retry with the next refresh)
    const text = `Could not load the scenarios: ${err.message}.`;
    if (text !== s.scenarioError) {
      s.scenarioError = text;
      $('start-scenario').replaceChildren(h('option', { value: '' }, 'Scenarios could not be loaded'));
      showResult(iconText(BAD, text));
    }
    if (err instanceof ApiError && err.isAuth) stopPolling(s);
  }
}

function showScenarioSummary(s) {
  const sc = s.scenarios?.get($('start-scenario').value);
  setText($('scenario-summary'), sc?.summary ?? '');
}

const showResult = (nodes) => $('start-result').replaceChildren(...nodes);

async function startSession(s) {
  const input = $('learner-id');
  const learner = input.value.trim();
  if (!LEARNER_RE.test(learner)) {
    input.setAttribute('aria-invalid', 'true');
    $('learner-error').replaceChildren(...iconText(BAD, learner
      ? 'The learner id may only have letters, digits, hyphens (-) and underscores (_), at most 64.'
      : 'Enter the learner id.'));
    input.focus();
    return;
  }
  input.removeAttribute('aria-invalid');
  $('learner-error').replaceChildren();
  const kit = $('start-kit').value, scenario = $('start-scenario').value;
  if (!kit || !scenario) {
    showResult(iconText(BAD, !kit ? 'Choose a kit: no kit of this lab has reported yet.' : 'Choose a scenario.'));
    return;
  }
  if (s.starting) return;
  s.starting = true;
  showResult(['Starting…']);
  try {
    const r = await api(s, '/api/v1/sessions', { method: 'POST', body: { learner_id: learner, lab: s.lab, kit, scenario } });
    const title = s.scenarios?.get(scenario)?.title ?? scenario;
    showResult([
      h('p', {}, ...iconText(OK, `Session started for learner ${learner} on kit ${kit}: ${title}.`)),
      h('div', { class: 'link-row' },
        h('label', { for: 'learner-link' }, 'Learner link (it holds the learner’s access token)'),
        h('div', { class: 'link-field' },
          h('input', { id: 'learner-link', type: 'text', readonly: true, value: r.learner_url, spellcheck: 'false' }),
          h('button', { type: 'button', id: 'copy-link', class: 'btn' }, 'Copy'))),
    ]);
    setText($('copy-status'), '');
    $('copy-link').addEventListener('click', copyLink);
    refresh(s);
  } catch (err) {
    showResult(iconText(BAD, `Could not start the session: ${err.message}.`));
    if (err instanceof ApiError && err.isAuth) stopPolling(s);
  } finally {
    s.starting = false;
  }
}

async function copyLink() {
  const field = $('learner-link'), button = $('copy-link');
  field.select();
  let ok = false;
  try { await navigator.clipboard.writeText(field.value); ok = true; } catch {
    try { ok = document.execCommand('copy'); } catch { ok = false; }
  }
  button.focus();
  $('copy-status').replaceChildren(...(ok ? iconText(OK, 'Learner link copied.')
    : iconText(BAD, 'Could not copy: select the link field and press Control+C.')));
}

// ---------- the sessions table ----------
async function refresh(s) {
  if (!s.polling) return;
  if (s.inflight) { s.again = true; return; }
  s.inflight = true;
  try {
    const all = await api(s, '/api/v1/sessions');
    if (s.scenarios === null) await loadScenarios(s);
    applySessions(s, (Array.isArray(all) ? all : []).filter((x) => x && x.lab === s.lab));
    if (s.statusIsLoadError) announce(s, []);
  } catch (err) {
    announce(s, iconText(BAD, `Could not load the sessions: ${err.message}.`
      + (err instanceof ApiError && err.isAuth ? ' Updates stopped; reload the page with a valid link.' : ' Trying again every 5 seconds.')), true);
    if (err instanceof ApiError && err.isAuth) stopPolling(s);
  } finally {
    s.inflight = false;
    if (s.again) { s.again = false; refresh(s); }
  }
}

function stopPolling(s) { s.polling = false; clearInterval(s.interval); }

function announce(s, nodes, isLoadError = false) {
  s.statusIsLoadError = isLoadError;
  const el = $('sessions-status');
  const text = nodes.map((n) => (typeof n === 'string' ? n : n.textContent)).join('');
  if (el.textContent !== text) el.replaceChildren(...nodes);
}

function applySessions(s, list) {
  list.sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0) || String(a.session_id).localeCompare(String(b.session_id)));
  const keep = new Set(list.map((x) => x.session_id));
  for (const [id, row] of s.rows) {
    if (keep.has(id)) continue;
    if (row.el.contains(document.activeElement)) $('sessions').focus();
    row.el.remove();
    s.rows.delete(id);
  }
  const body = $('sessions-body');
  let prev = null;
  for (const x of list) {
    let row = s.rows.get(x.session_id);
    if (!row) { row = createRow(s, x.session_id); s.rows.set(x.session_id, row); }
    updateRow(s, row, x);
    const want = prev ? prev.nextSibling : body.firstChild;
    if (row.el !== want) body.insertBefore(row.el, want);
    prev = row.el;
  }
  $('no-sessions').hidden = list.length > 0;
  $('sessions-table').hidden = list.length === 0;
}

function createRow(s, id) {
  const row = { id, sig: '', data: null, busy: false };
  const cell = () => h('td');
  row.learnerText = h('span');
  row.learner = h('th', { scope: 'row' }, row.learnerText);
  [row.kit, row.scenario, row.step, row.score, row.grade] = [cell(), cell(), cell(), cell(), cell()];
  row.status = h('td', { class: 'run-state' });
  row.who = [0, 1, 2, 3].map(() => h('span', { class: 'visually-hidden' }));
  row.next = h('button', { type: 'button', class: 'btn', 'data-action': 'next' }, 'Next step', row.who[0]);
  row.stop = h('button', { type: 'button', class: 'btn btn-stop', 'data-action': 'stop' }, 'Stop', row.who[1]);
  row.report = h('a', { class: 'btn btn-link', 'data-action': 'report', target: '_blank', rel: 'noopener noreferrer' }, 'Report', row.who[2]);
  // What the learner sees, in this tab: the learner page takes this tab's instructor token
  // from sessionStorage (no token in the address), and sends no presses.
  row.view = h('a', { class: 'btn btn-link', 'data-action': 'learner-view', href: `/learn/${encodeURIComponent(id)}` }, 'Learner view', row.who[3]);
  row.question = h('span', { id: `confirm-${id}`, class: 'confirm-q' });
  row.yes = h('button', { type: 'button', class: 'btn btn-stop', 'data-action': 'confirm-stop' }, 'Yes, stop');
  row.no = h('button', { type: 'button', class: 'btn', 'data-action': 'cancel-stop' }, 'Cancel');
  row.confirm = h('div', { class: 'confirm', role: 'group', 'aria-labelledby': `confirm-${id}`, hidden: true }, row.question, row.yes, row.no);
  row.actions = h('div', { class: 'row-actions' }, row.next, row.stop, row.view, row.report);
  row.el = h('tr', { 'data-session': id }, row.learner, row.kit, row.scenario, row.step, row.status, row.score, row.grade,
    h('td', { class: 'actions-cell' }, row.actions, row.confirm, (row.practice = createPractice(
      (p) => acceptTiming((path, opts) => api(s, path, opts), sessionPath(id, 'timing/accept'), p))).el));

  row.next.addEventListener('click', () => advance(s, row));
  row.stop.addEventListener('click', () => askStop(row, true));
  row.no.addEventListener('click', () => askStop(row, false));
  row.confirm.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') { ev.preventDefault(); askStop(row, false); } });
  row.yes.addEventListener('click', () => stop(s, row));
  row.report.addEventListener('click', (ev) => { ev.preventDefault(); openReport(s, row); });
  return row;
}

/** Open the report in a new tab through a one-minute, report-only link: the instructor
 *  token stays in the Authorization header, never in a URL (history, logs, Referer). */
async function openReport(s, row) {
  try {
    const link = await api(s, sessionPath(row.id, 'report-link'), { method: 'POST' });
    window.open(link.url, '_blank', 'noopener,noreferrer');
  } catch (err) {
    announce(s, iconText(BAD, `Could not open the report of ${row.data?.learner_id ?? '?'}: ${err.message}.`));
  }
}

function updateRow(s, row, x) {
  row.data = x;
  const sig = JSON.stringify(x);
  if (sig === row.sig) return;
  row.sig = sig;
  const learner = String(x.learner_id ?? '?');
  const finished = x.finished === true;
  const score = x.score && typeof x.score === 'object' ? x.score : {};
  setText(row.learnerText, learner);
  setText(row.kit, String(x.kit ?? ''));
  setText(row.scenario, s.scenarios?.get(x.scenario)?.title ?? String(x.scenario ?? ''));
  setText(row.step, x.step == null ? '—' : String(x.step));
  row.status.replaceChildren(...iconText(finished ? OK : RUNNING, finished ? 'Finished' : 'Running'));
  row.status.dataset.state = finished ? 'finished' : 'running';
  setText(row.score, fmtNum(score.score, 0));
  setText(row.grade, typeof score.grade === 'string' ? score.grade : '—');
  const whos = [` for ${learner}`, ` the session of ${learner}`, ` of ${learner} (opens in a new tab)`, ` of ${learner}`];
  for (const [i, text] of whos.entries()) setText(row.who[i], text);
  setText(row.question, `Stop the session of ${learner}?`);
  // No token in the link: a click asks for a short-lived report-only link (openReport).
  row.report.href = `${sessionPath(x.session_id, 'report')}?format=html`;
  updatePractice(row.practice, x); // switch practice: the proposed debounce and hold
  if (finished) {
    const hadFocus = row.actions.contains(document.activeElement) || row.confirm.contains(document.activeElement);
    row.confirm.hidden = true;
    row.next.hidden = row.stop.hidden = true;
    if (hadFocus && document.activeElement !== row.report) row.report.focus();
  } else if (row.confirm.hidden) {
    row.next.hidden = row.stop.hidden = false;
  }
}

function askStop(row, ask) {
  row.confirm.hidden = !ask;
  row.next.hidden = row.stop.hidden = ask;
  (ask ? row.yes : row.stop).focus();
}

async function act(s, row, action, say) {
  if (row.busy) return;
  row.busy = true;
  const learner = row.data?.learner_id ?? '?';
  try {
    const summary = await api(s, sessionPath(row.id, action), { method: 'POST' });
    if (summary && summary.session_id === row.id) updateRow(s, row, summary);
    announce(s, iconText(OK, say(learner, summary ?? {})));
  } catch (err) {
    announce(s, iconText(BAD, `Could not ${action === 'stop' ? 'stop' : 'advance'} the session of ${learner}: ${err.message}.`));
    if (action === 'stop') askStop(row, false);
  } finally {
    row.busy = false;
  }
}

const scoreText = (x) => (x.score && typeof x.score === 'object'
  ? ` Score ${fmtNum(x.score.score, 0)}, ${x.score.grade ?? 'no grade'}.` : '');

function advance(s, row) {
  return act(s, row, 'advance', (learner, x) => (x.finished
    ? `The session of ${learner} has finished.${scoreText(x)}`
    : `${learner} is now at step ${x.step ?? '—'}.`));
}

function stop(s, row) {
  return act(s, row, 'stop', (learner, x) => `Stopped the session of ${learner}.${scoreText(x)}`);
}

// A table wider than its box scrolls sideways; then (only then) it takes keyboard focus.
function watchTableOverflow() {
  const wrap = $('sessions-wrap');
  const check = () => {
    if (wrap.scrollWidth > wrap.clientWidth + 1) wrap.setAttribute('tabindex', '0');
    else wrap.removeAttribute('tabindex');
  };
  new ResizeObserver(check).observe(wrap);
  new ResizeObserver(check).observe($('sessions-table'));
}
