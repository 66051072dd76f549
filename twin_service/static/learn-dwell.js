// accesstwin learner page: pointer and eye-gaze dwell (profile `pointer_dwell_ms`). Resting
// the pointer (a mouse, a head pointer, an eye tracker acting as a mouse) on an answer for
// that long chooses it (a `choose` frame, as a click). A ring on the answer fills as the
// pointer rests and shrinks back at the same pace once it leaves, so a glance away does not
// lose the progress at once. Under prefers-reduced-motion the ring moves in four still steps
// (a quarter at a time) instead of growing smoothly; the word "Choosing" stands beside it,
// so progress is shown by shape and words, not colour alone. After a choice, dwelling waits
// until the pointer has moved away (REARM_PX), so a pointer left resting does not answer the
// next question too.

const REARM_PX = 32;
const STEPS_REDUCED = 4;

/** ctx: { list, choose(id), enabled(): bool }. */
export function createDwell({ list, choose, enabled }) {
  let ms = null;
  let over = null; // the choice id under the pointer
  let armed = true;
  let from = null; // where the pointer was when dwelling last chose, until it moves away
  let pos = null; // the pointer's last position
  let last = null; // time of the previous frame
  let frame = 0;
  const progress = new Map(); // choice id → 0..1
  const reduced = matchMedia('(prefers-reduced-motion: reduce)');
  const stats = { chosen: 0, max: 0 };

  const choiceAt = (e) => {
    const el = e.target instanceof Element ? e.target.closest('.choice[data-choice]') : null;
    return el && list.contains(el) ? el.dataset.choice : null;
  };
  function onMove(e) {
    if (e.pointerType === 'touch') return; // a touch has no rest: it taps (a click)
    pos = [e.clientX, e.clientY];
    if (!armed && from && Math.hypot(e.clientX - from[0], e.clientY - from[1]) > REARM_PX) { armed = true; from = null; }
    over = choiceAt(e);
    wake();
  }
  function onLeave(e) { if (e.pointerType !== 'touch') { over = null; armed = true; from = null; wake(); } }

  function wake() { if (!frame && ms !== null) { last = null; frame = requestAnimationFrame(step); } }

  function step(now) {
    frame = 0;
    const dt = last === null ? 0 : Math.min(now - last, 100); // a throttled tab does not jump to the end
    last = now;
    const on = enabled() && ms !== null;
    if (on && armed && over !== null && !progress.has(over)) progress.set(over, 0);
    for (const [id, p] of progress) {
      const rate = dt / (ms ?? 1);
      const next = on && armed && id === over ? p + rate : p - rate;
      if (next <= 0) progress.delete(id); else progress.set(id, Math.min(1, next));
    }
    const done = over !== null && (progress.get(over) ?? 0) >= 1 ? over : null;
    stats.max = Math.max(stats.max, ...progress.values(), 0);
    if (done) {
      progress.clear();
      armed = false;
      from = pos;
      stats.chosen += 1;
      choose(done);
    }
    paint();
    if (progress.size || (on && armed && over !== null)) frame = requestAnimationFrame(step);
  }

  function paint() {
    for (const el of list.querySelectorAll('.choice[data-choice]')) {
      const p = progress.get(el.dataset.choice) ?? 0;
      const shown = reduced.matches && p > 0 ? Math.ceil(p * STEPS_REDUCED) / STEPS_REDUCED : p;
      const arc = el.querySelector('.dwell-arc');
      if (arc) arc.setAttribute('stroke-dasharray', `${(shown * 100).toFixed(1)} 100`);
      el.classList.toggle('is-dwelling', p > 0);
    }
  }

  list.addEventListener('pointermove', onMove);
  list.addEventListener('pointerover', onMove);
  list.addEventListener('pointerleave', onLeave);

  return {
    setMs(value) {
      ms = Number.isInteger(value) && value > 0 ? value : null;
      list.classList.toggle('has-dwell', ms !== null);
      if (ms === null) { progress.clear(); paint(); }
    },
    /** A new question: progress starts again; the pointer must move before dwelling again. */
    reset() { progress.clear(); paint(); },
    get state() { return { ms, over, armed, progress: Object.fromEntries(progress), ...stats }; },
  };
}
