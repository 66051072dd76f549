// One key bookmarks the moment in a session: "B" (no modifier, not while typing) posts
// a bookmark for the session whose row holds the focus, else for the newest running one
// (the first row of the sessions table that is not finished). The result is announced in
// #bookmark-status. Self-contained: reads the rows' data-session and the tab's token.
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
  if (!row) { say('No running session to bookmark.'); return; }
  const learner = row.querySelector('th')?.textContent?.trim() || 'the learner';
  const when = new Date();
  const token = storedToken();
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const response = await fetch(`/api/v1/sessions/${encodeURIComponent(row.dataset.session)}/bookmarks`, {
      method: 'POST', headers, credentials: 'omit',
      body: JSON.stringify({ note: `Bookmark from the dashboard at ${when.toLocaleTimeString()}`, ts: when.getTime() / 1000 }),
    });
    if (!response.ok) { say(`Bookmark not saved for ${learner} (HTTP ${response.status}).`); return; }
    say(`Bookmark saved for ${learner} at ${when.toLocaleTimeString()}.`);
  } catch {
    say(`Bookmark not saved for ${learner}: the service did not answer.`);
  }
}

document.addEventListener('keydown', (event) => {
  if (event.key !== 'b' && event.key !== 'B') return;
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || typing(event.target)) return;
  event.preventDefault();
  bookmark();
});
