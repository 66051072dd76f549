// One key bookmarks the moment in a session: "B" (no modifier, not while typing) posts
// a bookmark for the session whose row holds the focus. Only there: a one-letter shortcut
// active anywhere on the page fires by accident for speech-input users (WCAG 2.1.4), so
// elsewhere B does nothing. The result is announced in #bookmark-status. Self-contained:
// reads the rows' data-session and the tab's token.
import { fmtTime } from './common/dom.js';
import { t } from './common/i18n.js';

const TOKEN_KEY = 'accesstwin.token';

function storedToken() { try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; } }

function typing(el) {
  return el instanceof HTMLElement && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

function targetRow() {
  return document.activeElement?.closest?.('#sessions-body tr[data-session]') ?? null;
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
  if (!targetRow()) return; // the focus is not in a session's row: B is left alone
  event.preventDefault();
  bookmark();
});
