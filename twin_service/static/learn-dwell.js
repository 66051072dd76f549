// accesstwin learner page: pointer and eye-gaze dwell (profile `pointer_dwell_ms`). Resting
// the pointer (a mouse, a head pointer, an eye tracker acting as a mouse) on an answer or on
// one of the page's buttons (Start, "Read the vitals", "Say it again", the speed buttons)
// for that long activates it: an answer is chosen (a `choose` frame, as a click), a button
// is pressed. A ring on the target fills as the pointer rests and shrinks back at the same
// pace once it leaves, so a glance away does not lose the progress at once. Under
// prefers-reduced-motion the ring moves in four still steps (a quarter at a time) instead of
// growing smoothly; the word "Choosing" stands beside it, so progress is shown by shape and
// words, not colour alone. After an activation, dwelling waits until the pointer has moved
// away (REARM_PX), so a pointer left resting does not answer the next question too.
import { h } from './common/dom.js';

const REARM_PX = 32;
const STEPS_REDUCED = 4;
const TARGETS = '.choice[data-choice], button';

/** The ring and its word, hidden from assistive technology (the target's name says what it does). */
export function dwellRing(word) {
  return h('span', { class: 'dwell', 'aria-hidden': 'true' },
    h('svg:svg', { viewBox: '0 0 36 36', class: 'dwell-ring', focusable: 'false' },
      h('svg:circle', { class: 'dwell-track', cx: '18', cy: '18', r: '14' }),
      h('svg:circle', { class: 'dwell-arc', cx: '18', cy: '18', r: '14', pathLength: '100', 'stroke-dasharray': '0 100' })),
    h('span', { class: 'dwell-word', 'data-i18n': 'learn.input.dwell_word' }, word));
}

/**
 * ctx: { root (the region whose answers and buttons dwell), word() (the ring's word),
 * activate(el) (an answer or a button dwelt on long enough), enabled(el): bool }.
 */
export function createDwell({ root, word, activate, enabled }) {
  let ms = null;
  let over = null; // the target under the pointer
  let armed = true;
  let from = null; // where the pointer was when dwelling last activated, until it moves away
  let pos = null; // the pointer's last position
  let last = null; // time of the previous frame
  let frame = 0;
  const progress = new Map(); // target element → 0..1
  const reduced = matchMedia('(prefers-reduced-motion: reduce)');
  const stats = { chosen: 0, pressed: [], max: 0 };

  const targetAt = (e) => {
    const el = e.target instanceof Element ? e.target.closest(TARGETS) : null;
    return el && root.contains(el) && enabled(el) ? el : null;
  };
  function onMove(e) {
    if (e.pointerType === 'touch') return; // a touch has no rest: it taps (a click)
    pos = [e.clientX, e.clientY];
    if (!armed && from && Math.hypot(e.clientX - from[0], e.clientY - from[1]) > REARM_PX) { armed = true; from = null; }
    over = targetAt(e);
    wake();
  }
  function onLeave(e) { if (e.pointerType !== 'touch') { over = null; armed = true; from = null; wake(); } }

  function wake() { if (!frame && ms !== null) { last = null; frame = requestAnimationFrame(step); } }

  function step(now) {
    frame = 0;
    const dt = last === null ? 0 : Math.min(now - last, 100); // a throttled tab does not jump to the end
    last = now;
    if (over !== null && (!over.isConnected || !enabled(over))) over = null; // rebuilt, hidden or used up
    const on = ms !== null;
    if (on && armed && over !== null && !progress.has(over)) progress.set(over, 0);
    for (const [el, p] of progress) {
      const rate = dt / (ms ?? 1);
      const next = on && armed && el === over ? p + rate : p - rate;
      if (next <= 0 || !el.isConnected) progress.delete(el); else progress.set(el, Math.min(1, next));
    }
    const done = over !== null && (progress.get(over) ?? 0) >= 1 ? over : null;
    stats.max = Math.max(stats.max, ...progress.values(), 0);
    if (done) {
      progress.clear();
      armed = false;
      from = pos;
      if (done.matches('.choice')) stats.chosen += 1; else stats.pressed.push(done.id);
      activate(done);
    }
    paint();
    if (progress.size || (on && armed && over !== null)) frame = requestAnimationFrame(step);
  }

  function paint() {
    for (const el of root.querySelectorAll(TARGETS)) {
      const p = progress.get(el) ?? 0;
      const shown = reduced.matches && p > 0 ? Math.ceil(p * STEPS_REDUCED) / STEPS_REDUCED : p;
      const arc = el.querySelector('.dwell-arc');
      if (arc) arc.setAttribute('stroke-dasharray', `${(shown * 100).toFixed(1)} 100`);
      el.classList.toggle('is-dwelling', p > 0);
    }
  }

  root.addEventListener('pointermove', onMove);
  root.addEventListener('pointerover', onMove);
  root.addEventListener('pointerleave', onLeave);

  return {
    setMs(value) {
      ms = Number.isInteger(value) && value > 0 ? value : null;
      root.classList.toggle('has-dwell', ms !== null);
      // Each button gets its ring once dwell is on (the answers get theirs from learn-choices.js).
      if (ms !== null) for (const b of root.querySelectorAll('button')) if (!b.querySelector('.dwell')) b.append(dwellRing(word()));
      if (ms === null) { progress.clear(); paint(); }
    },
    /** A new question: progress starts again; the pointer must move before dwelling again. */
    reset() { progress.clear(); paint(); },
    get state() {
      const named = (el) => el.dataset.choice ?? el.id;
      return { ms, over: over && named(over), armed, progress: Object.fromEntries([...progress].map(([el, p]) => [named(el), p])), ...stats, pressed: [...stats.pressed] };
    },
  };
}
