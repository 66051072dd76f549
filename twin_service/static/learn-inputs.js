// accesstwin learner page: the switches. Keys (the profile's `keys`, KeyboardEvent.code
// values) and game-controller buttons (the profile's `gamepad`, Gamepad API standard-mapping
// indices, any connected pad) become the same `switch` down/up frames; the SERVER judges
// debounce_ms and hold_ms (accessibility/scanning.py), so every press is sent as it happens.
// The first press of any switch (key or pad button) is the Start gesture instead.
//
// Gamepads: browsers show a pad to a page only after one of its buttons is pressed while
// the page is visible (Chromium, Firefox), and only in a secure context (localhost counts);
// Chromium counts that press as a user activation, so sound may start from it. Pads are
// polled on animation frames with edge detection (a held button is one press).

const DEFAULT_KEYS = { select: 'Space', next: 'Enter' };
const DEFAULT_PAD = { select: 0, next: 1 };
// Focused controls that keep their own Space/Enter (a keyboard user reached them with Tab);
// fields where typing goes keep every key.
const OWN_SPACE_ENTER = 'button, a, summary, [role="button"]';
const TYPING = 'input, select, textarea, [contenteditable]';

/** KeyboardEvent.code, or (when a device leaves it empty) the code its key stands for. */
export function codeOf(e) {
  if (e.code) return e.code;
  if (e.key === ' ' || e.key === 'Spacebar') return 'Space';
  return e.key === 'Enter' ? 'Enter' : '';
}

function validKeys(k) {
  const ok = k && typeof k.select === 'string' && typeof k.next === 'string' && k.select !== k.next;
  return ok ? { select: k.select, next: k.next } : { ...DEFAULT_KEYS };
}
function validPad(g) {
  const ok = g && Number.isInteger(g.select) && Number.isInteger(g.next) && g.select !== g.next;
  return ok ? { select: g.select, next: g.next } : { ...DEFAULT_PAD };
}
/** A key's name for the help text: Space and Enter from the catalogue, KeyA → "A",
 * Digit1 → "1", others (F13, ArrowDown, …) as their code. */
export function keyLabel(code, t) {
  if (code === 'Space' || code === 'Enter') return t(`learn.input.key.${code.toLowerCase()}`);
  const m = /^(?:Key|Digit|Numpad)(\w)$/.exec(code);
  return m ? m[1] : code;
}
const buttonDown = (b) => (typeof b === 'number' ? b > 0.5 : Boolean(b?.pressed));

/**
 * ctx: { send(sw, state): bool, started(): bool, start(via), focusHome(),
 *        claim(e, code): bool (a key the page's listbox takes: learn-listbox-keys.js),
 *        claimPress(): bool (a press the page takes for itself: it is not sent, nor its up) }.
 * Returns { setProfile(p), releaseAll(), clear(), state }.
 */
export function createInputs({ send, started, start, focusHome, claim, claimPress }) {
  let keys = { ...DEFAULT_KEYS };
  let pad = { ...DEFAULT_PAD };
  const held = new Map(); // source ("key:Space", "pad:0:3") → switch name
  const taken = new Set(); // sources whose press the page took (claimPress): their up is not sent
  const padPrev = new Map(); // "index:button" → pressed at the last poll
  const stats = { pads: 0, padPresses: 0, padId: null };

  // One down when the first source of a switch goes down, one up when the last comes up
  // (two sources of one switch held together are one press for the server).
  const holders = (sw) => [...held.values()].filter((s) => s === sw).length;
  function press(source, sw) {
    if (held.has(source) || taken.has(source)) return;
    if (holders(sw) === 0 && claimPress()) { taken.add(source); return; }
    held.set(source, sw);
    if (holders(sw) === 1) send(sw, 'down');
  }
  function lift(source) {
    if (taken.delete(source)) return;
    const sw = held.get(source);
    if (sw === undefined) return;
    held.delete(source);
    if (holders(sw) === 0) send(sw, 'up');
  }

  function switchOfKey(code) {
    if (code === keys.select) return 'select';
    return code === keys.next ? 'next' : null;
  }

  function onKeyDown(e) {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    const code = codeOf(e);
    if (started() && claim(e, code)) return;
    if (code === 'Escape') { focusHome(); return; }
    const target = e.target instanceof Element ? e.target : null;
    if (target?.closest(TYPING)) return;
    const sw = switchOfKey(code);
    // Before the session frame names the learner's keys, Space and Enter start the page.
    const starter = sw !== null || (!started() && (code === 'Space' || code === 'Enter'));
    if (!starter) return;
    if (e.repeat) { e.preventDefault(); return; } // a held switch is one press: auto-repeat is ignored
    if (!started()) { e.preventDefault(); start('key'); return; }
    // A control reached with Tab keeps its usual Space/Enter behaviour (keyboard users).
    if ((code === 'Space' || code === 'Enter') && target?.closest(OWN_SPACE_ENTER)) return;
    if (sw === null) return;
    e.preventDefault(); // Space must not scroll the page
    press(`key:${code}`, sw);
  }
  function onKeyUp(e) {
    const source = `key:${codeOf(e)}`;
    if (!held.has(source) && !taken.has(source)) return;
    e.preventDefault();
    lift(source);
  }

  function pads() {
    let list = [];
    try { list = [...(navigator.getGamepads?.() ?? [])]; } catch { return []; } // refused by a permissions policy
    return list.filter((p) => p && p.connected !== false);
  }

  function poll() {
    const seen = pads();
    stats.pads = seen.length;
    for (const p of seen) {
      stats.padId = p.id ?? null;
      const buttons = p.buttons ?? [];
      for (let i = 0; i < buttons.length; i += 1) {
        const id = `${p.index}:${i}`;
        const down = buttonDown(buttons[i]);
        const was = padPrev.get(id) ?? false;
        if (down === was) continue;
        padPrev.set(id, down);
        const sw = i === pad.select ? 'select' : i === pad.next ? 'next' : null;
        if (sw === null) continue;
        if (down) {
          stats.padPresses += 1;
          if (!started()) { start('gamepad'); padPrev.set(id, true); continue; } // its release is not a press
          press(`pad:${id}`, sw);
        } else {
          lift(`pad:${id}`);
        }
      }
    }
    requestAnimationFrame(poll);
  }

  document.addEventListener('keydown', onKeyDown);
  document.addEventListener('keyup', onKeyUp);
  requestAnimationFrame(poll);

  return {
    setProfile(p) { keys = validKeys(p?.keys); pad = validPad(p?.gamepad); },
    get keys() { return { ...keys }; },
    get pad() { return { ...pad }; },
    /** Release everything held (the window lost focus): an up for each switch down. */
    releaseAll() { taken.clear(); for (const source of [...held.keys()]) lift(source); },
    /** Forget what is held without sending (the socket is gone: the server drops presses). */
    clear() { held.clear(); taken.clear(); },
    get state() { return { held: [...held.keys()], keys: { ...keys }, pad: { ...pad }, ...stats }; },
  };
}
