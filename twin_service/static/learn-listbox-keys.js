// accesstwin learner page: the WAI-ARIA APG listbox keys, for keyboard users who do not scan.
// With the focus on the list of answers (#choices), Down and Up move a cursor of the page's
// own one answer at a time (no wrap), Home and End to the first and the last; Enter or
// Space then chooses the answer under it (a `choose` frame, as a click). While the cursor
// is on, it is what the list shows and names (the highlight and aria-activedescendant: the
// caller renders the view this gives) in place of the server's scan, which goes on
// unseen. It ends, and the scan is shown again, with Escape or a switch press (one of the
// learner's keys other than Space/Enter, a controller button); that press only shows the
// scan again and is not sent, so nothing unseen is chosen. A key that is one of the
// learner's switches (profile `keys`, e.g. ArrowDown) stays a switch: it never moves the
// cursor. learn-inputs.js asks claim() before it treats a key as a switch, and
// claimPress() (leave() here) before it sends a press.

const MOVES = { ArrowDown: 1, ArrowUp: -1, Home: -Infinity, End: Infinity };

/** ctx: { list, choose(id), switchKeys(): {select, next}, changed() (render again) }. */
export function createListboxKeys({ list, choose, switchKeys, changed }) {
  let active = null; // the choice id under the cursor, or null: the server's scan is shown
  const stats = { moves: 0, chosen: 0 };

  const options = () => [...list.querySelectorAll('.choice[data-choice]')];
  const indexOf = (id) => options().findIndex((el) => el.dataset.choice === id);

  function move(by, highlighted) {
    const all = options();
    if (!all.length) return;
    const at = active !== null ? indexOf(active) : all.findIndex((el) => Number(el.dataset.index) === highlighted);
    let next;
    if (by === -Infinity) next = 0;
    else if (by === Infinity) next = all.length - 1;
    else if (at < 0) next = by > 0 ? 0 : all.length - 1; // nothing lit: Down starts at the top, Up at the bottom
    else next = Math.min(all.length - 1, Math.max(0, at + by));
    active = all[next].dataset.choice;
    stats.moves += 1;
    changed();
  }

  function leave() { // true when the cursor was on
    if (active === null) return false;
    active = null;
    changed();
    return true;
  }

  return {
    /**
     * A key on the page (after the Start): true when the listbox takes it (the caller then
     * leaves it alone). s: the scan state, for the answer the server highlights.
     */
    claim(e, code, s) {
      if (code === 'Escape') { leave(); return false; } // the caller brings the focus home too
      if (e.target !== list) return false;
      const own = switchKeys();
      if (Object.hasOwn(MOVES, code) && code !== own.select && code !== own.next) {
        e.preventDefault();
        const lit = s.groups && s.level !== 'items' ? null : s.highlighted;
        move(MOVES[code], lit);
        return true;
      }
      if (active !== null && (code === 'Enter' || code === 'Space')) {
        e.preventDefault();
        if (!e.repeat && indexOf(active) >= 0) { stats.chosen += 1; choose(active); }
        return true;
      }
      return false;
    },
    /** A switch press (key or controller): the scan is shown again; true when the cursor was on. */
    leave,
    /** A new question: the cursor (if on) starts again at the first answer. */
    newQuestion() { if (active !== null) { const first = options()[0]; active = first ? first.dataset.choice : null; } },
    /** The scan state to show: the server's, or the cursor's answer lit in its place. */
    view(s) {
      if (active === null) return s;
      let el = options().find((o) => o.dataset.choice === active);
      if (!el) { el = options()[0]; active = el ? el.dataset.choice : null; } // its answer left (the undo choice)
      if (!el) return s;
      return { ...s, highlighted: Number(el.dataset.index), level: s.groups ? 'items' : s.level, group: null, back: false };
    },
    get active() { return active; },
    get state() { return { active, ...stats }; },
  };
}
