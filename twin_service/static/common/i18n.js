// Message catalogues for the pages (twin_service/messages.py; catalogues in
// /static/i18n/{lang}.json, one flat object per language, English the reference).
// The server puts the page's catalogue in a JSON data block (id accesstwin-messages);
// setLanguage() fetches another one (a learner page reloaded without its link). Elements
// with data-i18n="key" get that message as their text; t(key, {name}) fills {name}.

const DIRECTIONS = { en: 'ltr', ar: 'rtl', zh: 'ltr' };
let current = { lang: 'en', dir: 'ltr', messages: {} };
const english = {};

function readBlock() {
  const el = document.getElementById('accesstwin-messages');
  if (!el) return;
  try {
    const doc = JSON.parse(el.textContent);
    if (doc && typeof doc.messages === 'object' && Object.hasOwn(DIRECTIONS, doc.lang)) current = doc;
  } catch { /* a broken block: keys are shown, the page still works */ }
}

export function t(key, values = {}) {
  const text = current.messages[key] ?? english[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (Object.hasOwn(values, name) ? String(values[name]) : m));
}

// A catalogue text, or `fallback` when no catalogue has `key` (a name only the server knows).
export function tOr(key, fallback, values = {}) {
  return Object.hasOwn(current.messages, key) || Object.hasOwn(english, key) ? t(key, values) : fallback;
}

// An explanation sent as phrases ([{key, values, gap}], accessibility/explained.py) in the
// page's language; `fallback` (the English text sent with it) when a key is unknown here.
export function tPhrases(phrases, fallback = '') {
  if (!Array.isArray(phrases) || !phrases.length) return fallback;
  const known = (k) => typeof k === 'string' && (Object.hasOwn(current.messages, k) || Object.hasOwn(english, k));
  if (!phrases.every((p) => p && known(p.key))) return fallback;
  const gap = current.lang === 'zh' ? '' : ' '; // Chinese puts no space between sentences
  return phrases.map((p, i) => (p.gap && i ? gap : '') + t(p.key, p.values ?? {})).join('');
}

export const lang = () => current.lang;
export const isRtl = () => current.dir === 'rtl';

export function applyMessages(root = document) {
  document.documentElement.lang = current.lang;
  document.documentElement.dir = current.dir;
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const text = t(el.dataset.i18n);
    if (el.textContent !== text) el.textContent = text;
  }
}

// Switch to another supported language; resolves true when the page's language changed.
export async function setLanguage(tag) {
  if (!Object.hasOwn(DIRECTIONS, tag) || tag === current.lang) return false;
  const response = await fetch(`/static/i18n/${tag}.json`, { credentials: 'same-origin' });
  if (!response.ok) return false;
  const messages = await response.json();
  if (!Object.keys(english).length && current.lang === 'en') Object.assign(english, current.messages);
  current = { lang: tag, dir: DIRECTIONS[tag], messages };
  applyMessages();
  return true;
}

readBlock();
if (current.lang === 'en') Object.assign(english, current.messages);
applyMessages();
