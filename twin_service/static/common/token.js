// accesstwin pages: the access token of a page. A link carries it as ?token=…; the page moves
// it into this tab's sessionStorage and out of the address bar (so it is in no history entry,
// bookmark or referrer), and never puts it into a URL it builds for navigation.

function read(key) { try { return sessionStorage.getItem(key); } catch { return null; } }

/** The token under `key`: taken from the address bar (and stored) if there, else the stored one. */
export function takeToken(key) {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    if (fromUrl) storeToken(key, fromUrl);
  }
  return fromUrl || read(key);
}
export function storedToken(key) { return read(key); }
export function storeToken(key, token) { try { sessionStorage.setItem(key, token); } catch { /* storage disabled */ } }
export function forgetToken(key) { try { sessionStorage.removeItem(key); } catch { /* storage disabled */ } }

/** The instructor's token (the dashboard's key): a learner view opened from the dashboard uses it. */
export const INSTRUCTOR_TOKEN_KEY = 'accesstwin.token';
