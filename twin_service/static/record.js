// The debrief (/sessions/{id}/debrief) and progress (/learners/{id}) pages: the server
// renders the record as HTML (escaped there); this script fetches it with the token the
// dashboard keeps for the tab (sessionStorage 'accesstwin.token', or ?token= once, taken
// out of the address bar), and makes its download links and "jump to a moment" work.
// Its words are the catalogue's (record.*, in the browser's language); the fragment is
// asked for in the page's language (Accept-Language), and a refusal is said by its code.
import { lang, t, tOr } from './common/i18n.js';

const TOKEN_KEY = 'accesstwin.token';
const $ = (id) => document.getElementById(id);

function storedToken() { try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; } }
function storeToken(t) { try { sessionStorage.setItem(TOKEN_KEY, t); } catch { /* storage disabled */ } }

function takeToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    if (fromUrl) storeToken(fromUrl);
  }
  return fromUrl || storedToken();
}

function fragmentPath() {
  let m = /^\/sessions\/([A-Za-z0-9_-]{1,64})\/debrief\/?$/.exec(location.pathname);
  if (m) return { path: `/api/v1/sessions/${m[1]}/debrief`, title: t('record.title.debrief', { session: m[1] }) };
  m = /^\/learners\/([A-Za-z0-9_-]{1,64})\/?$/.exec(location.pathname);
  if (m) return { path: `/api/v1/learners/${m[1]}/progress?format=html`, title: t('record.title.progress', { learner: m[1] }) };
  return null;
}

function say(text) { $('record-status').textContent = text; }

async function authorisedFetch(token, path) {
  return fetch(path, { headers: { Authorization: `Bearer ${token}`, 'Accept-Language': lang() }, credentials: 'omit' });
}

function jumpTo(hash) {
  const target = hash && document.getElementById(decodeURIComponent(hash.slice(1)));
  if (!target) return;
  target.scrollIntoView({ block: 'center' });
  target.focus({ preventScroll: true });
  for (const row of document.querySelectorAll('tr.current')) row.classList.remove('current');
  if (target.tagName === 'TR') target.classList.add('current');
}

function wireLinks(token) {
  const main = $('content');
  main.addEventListener('click', async (event) => {
    const link = event.target.closest('a');
    if (!link) return;
    if (link.hasAttribute('data-api-download') || link.hasAttribute('data-api-open')) {
      event.preventDefault();
      const response = await authorisedFetch(token, link.getAttribute('href'));
      if (!response.ok) { say(t('record.download_failed', { status: response.status })); return; }
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      if (link.hasAttribute('data-api-download')) {
        const a = document.createElement('a');
        a.href = url; a.download = link.getAttribute('download') || 'session.csv';
        document.body.append(a); a.click(); a.remove();
        say(t('record.download_started'));
      } else {
        window.open(url, '_blank', 'noopener');
      }
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } else if (link.hash && link.pathname === location.pathname) {
      event.preventDefault();
      history.replaceState(history.state, '', link.hash);
      jumpTo(link.hash);
    }
  });
}

async function load(token) {
  const where = fragmentPath();
  if (!where) { say(t('record.no_address')); return; }
  document.title = t('record.doc_title', { title: where.title });
  const response = await authorisedFetch(token, where.path);
  if (response.status === 401 || response.status === 403) {
    say(t('record.refused'));
    $('token-form').hidden = false;
    return;
  }
  if (!response.ok) {
    let reason = t('record.http_status', { status: response.status });
    try {
      const body = await response.json();
      reason = body.code ? tOr(`error.${body.code}`, body.detail || reason, body.values ?? {}) : body.detail || reason;
    } catch { /* not JSON */ }
    say(t('record.load_failed', { reason }));
    return;
  }
  $('content').innerHTML = await response.text(); // server-rendered, every value escaped
  const heading = $('content').querySelector('h1');
  if (heading) document.title = t('record.doc_title', { title: heading.textContent });
  say(t('record.loaded'));
  wireLinks(token);
  if (location.hash) jumpTo(location.hash);
}

function start() {
  $('print-button').addEventListener('click', () => window.print());
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('token-input').value.trim();
    if (!value) return;
    storeToken(value);
    $('token-form').hidden = true;
    load(value);
  });
  const token = takeToken();
  if (!token) { say(t('record.no_token')); $('token-form').hidden = false; return; }
  load(token);
}

start();
