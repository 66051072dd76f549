// accesstwin learner page: the scanned choices as a WAI-ARIA APG listbox. The list
// (#choices, role=listbox) keeps the focus while the learner scans, and its
// aria-activedescendant names the option the server's scan machine highlights, so that
// assistive technology announces each highlight (the highlight is the server's: the page
// only shows it). A group-scanned step (scan.groups, docs/learner-page.md) is a listbox of
// groups (role=group, one row each): a row's first option stands for the group while
// groups are scanned ("Group 2 · highlighted"), then the open row's answers and its
// "Back to the groups" option. Every mark is in words or shape as well as colour: the ▶
// marker and a thick outline on the highlighted option, a double frame and the word "open"
// on the open group.
import { h, setAttr, setText } from './common/dom.js';
import { dwellRing } from './learn-dwell.js';

const MARKER = (rtl) => (rtl ? '◀\uFE0E' : '▶\uFE0E');

/** A valid groups list: arrays of choice indices, every index in range (else null). */
export function validGroups(groups, n) {
  if (!Array.isArray(groups) || !groups.length) return null;
  const ok = groups.every((g) => Array.isArray(g) && g.length && g.every((i) => Number.isInteger(i) && i >= 0 && i < n));
  return ok ? groups : null;
}

/** ctx: { list (the #choices element), t, isRtl }. */
export function createChoices({ list, t, isRtl }) {
  let built = '';
  const ring = () => dwellRing(t('learn.input.dwell_word'));
  const option = (c, i, tag) => h(tag, { id: `choice-${i}`, role: 'option', class: 'choice', 'data-choice': c.id, 'data-index': String(i) },
    h('span', { class: 'marker', 'aria-hidden': 'true' }, MARKER(isRtl())), h('span', { class: 'choice-label' }, c.label), ring());

  /** (Re)build the options when the choices or their grouping change. */
  function build(choices, given) {
    const groups = validGroups(given, choices.length);
    const sig = JSON.stringify([choices.map((c) => [c.id, c.label]), groups, isRtl()]);
    if (sig === built) return;
    built = sig;
    list.classList.toggle('is-grouped', groups !== null);
    if (!choices.length) { // no listbox without options (a step with no choices, or the end)
      for (const a of ['role', 'tabindex', 'aria-activedescendant']) list.removeAttribute(a);
      list.replaceChildren();
      return;
    }
    list.setAttribute('role', 'listbox');
    list.setAttribute('tabindex', '0');
    if (!groups) {
      list.replaceChildren(...choices.map((c, i) => option(c, i, 'li')));
      return;
    }
    list.replaceChildren(...groups.map((g, gi) => {
      const names = g.map((i) => choices[i].label).join(', ');
      return h('li', { role: 'group', class: 'group-row', 'data-group': String(gi), 'aria-labelledby': `group-${gi}-name` },
        h('div', { id: `group-${gi}`, role: 'option', class: 'group-head', 'data-group': String(gi) },
          h('span', { class: 'marker', 'aria-hidden': 'true' }, MARKER(isRtl())),
          h('span', { id: `group-${gi}-name`, class: 'group-name' }, t('learn.group.name', { n: gi + 1 })),
          h('span', { class: 'group-state' }, ''),
          h('span', { class: 'visually-hidden' }, `${t('learn.label_sep')}${names}`)),
        h('div', { class: 'group-items' }, ...g.map((i) => option(choices[i], i, 'div')),
          h('div', { id: `group-${gi}-back`, role: 'option', class: 'group-back', 'data-group': String(gi), hidden: true },
            h('span', { class: 'marker', 'aria-hidden': 'true' }, MARKER(isRtl())),
            h('span', { class: 'icon', 'aria-hidden': 'true' }, '↩\uFE0E'), ` ${t('learn.group.back')}`)));
    }));
  }

  /** Show the highlight of scan state s: { highlighted, groups, level, group, back }. */
  function mark(s) {
    const grouped = list.classList.contains('is-grouped');
    let active = null;
    for (const el of list.querySelectorAll('.choice')) {
      const on = Number(el.dataset.index) === s.highlighted && (!grouped || s.level === 'items');
      el.classList.toggle('is-scanned', on);
      if (on) active = el.id;
    }
    for (const row of list.querySelectorAll('.group-row')) {
      const gi = Number(row.dataset.group);
      const lit = grouped && s.group === gi && s.level === 'groups';
      const open = grouped && s.group === gi && s.level === 'items';
      row.classList.toggle('is-scanned', lit);
      row.classList.toggle('is-open', open);
      const head = row.querySelector('.group-head');
      head.classList.toggle('is-scanned', lit);
      setText(row.querySelector('.group-state'), lit ? ` · ${t('learn.group.highlighted')}` : open ? ` · ${t('learn.group.open')}` : '');
      if (lit) active = head.id;
      const back = row.querySelector('.group-back');
      back.hidden = !open;
      back.classList.toggle('is-scanned', open && s.back === true);
      if (open && s.back === true) active = back.id;
    }
    if (active) setAttr(list, 'aria-activedescendant', active); else list.removeAttribute('aria-activedescendant');
    return active;
  }

  return { build, mark, reset() { built = ''; } };
}
