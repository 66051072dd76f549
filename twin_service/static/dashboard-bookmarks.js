// One key bookmarks the moment in a session: "B" (no modifier, not while typing) posts
// a bookmark for the session whose row holds the focus, else for the newest running one
// (the first row of the sessions table that is not finished). The result is announced in
// #bookmark-status. Self-contained: reads the rows' data-session and the tab's token.
import { fmtTime } from './common/dom.js';
import { t } from './common/i18n.js';

const TOKEN_KEY = 'accesstwin.token';

function storedToken() { try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; } }

function typing(el) {
  return el instanceof HTMLElement && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

function targetRow() {
  const focused = document.activeElement?.closest?.('tr[data-session]');
  if (focused) return focused;
  return [...document.querySelectorAll('#sessions-body tr[data-session]')]
    .find((row) => row.querySelector('.run-state')?.dataset.state !== 'finished') ?? null;
}

function say(text) {
  const status = document.getElementById('bookmark-status');
  if (status) status.textContent = text;
}

async function bookmark() {
  const row = targetRow();
  if (!row) { say(t('dashboard.bookmark.no_session')); return; }
  const learner = row.querySelector('th')?.textContent?.trim() || t('dashboard.bookmark.the_learner');
  const when = new Date();
  const token = storedToken();
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const response = await fetch(`/api/v1/sessions/${encodeURIComponent(row.dataset.session)}/bookmarks`, {
      method: 'POST', headers, credentials: 'omit',
      body: JSON.stringify({ note: t('dashboard.bookmark.note', { time: fmtTime(when) }), ts: when.getTime() / 1000 }),
    });
    if (!response.ok) { say(t('dashboard.bookmark.failed', { learner, status: response.status })); return; }
    say(t('dashboard.bookmark.saved', { learner, time: fmtTime(when) }));
  } catch {
    say(t('dashboard.bookmark.no_answer', { learner }));
  }
}

document.addEventListener('keydown', (event) => {
  if (event.key !== 'b' && event.key !== 'B') return;
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || typing(event.target)) return;
  event.preventDefault();
  bookmark();
});
