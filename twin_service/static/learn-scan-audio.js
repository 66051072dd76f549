// accesstwin learner page: auditory scanning (profile `auditory_scan`). Each newly
// highlighted item (an answer, a group, or "Back") is spoken by a short clip from the
// session's speech cache: the frame's `choices[i].audio_url`, `scan.group_audio_urls[g]`,
// `scan.back_audio_url` (docs/learner-page.md). A new highlight cancels the clip playing,
// and so does a selection (a choice sent, or a new question). The server stretches each
// item's scan time to fit its clip. Clips play only after the Start gesture, at the
// learner's speech speed, fetched with the page's token; nothing plays without a URL.
// Clips never talk over speech (learn-speech.js): while a prompt or a message is spoken
// (hold(true)) a clip playing stops and new highlights are silent; when the speech ends
// (hold(false)) the clip of the spot lit at that moment plays. So the order is always the
// speech, then the highlight.

/** ctx: { state (token, started, speechFactor) }. */
export function createScanAudio({ state }) {
  const audio = new Audio();
  let current = null; // the item key whose clip is loaded ("c:2", "g:1", "b:1")
  let held = false; // speech is being spoken
  let last = null; // the last scan state seen
  const stats = { requested: [], played: 0, superseded: 0, cancelled: 0, yielded: 0, waited: 0, errors: 0 };

  function withToken(path) {
    if (typeof path !== 'string') return null;
    const url = new URL(path, location.origin);
    if (url.origin !== location.origin) return null;
    if (state.token) url.searchParams.set('token', state.token);
    return url.pathname + url.search;
  }

  /** The highlighted item of scan state s and its clip: [key, url] or [null, null]. */
  function item(s) {
    if (s.groups && s.group !== null) {
      if (s.level === 'groups') return [`g:${s.group}`, s.groupAudio?.[s.group]];
      if (s.back) return [`b:${s.group}`, s.backAudio];
    }
    if (s.highlighted === null || (s.groups && s.level !== 'items')) return [null, null];
    return [`c:${s.highlighted}`, s.choices[s.highlighted]?.audio];
  }

  function stop(why) { // why: 'superseded' (a new highlight), 'cancelled' (a selection), 'yielded' (speech)
    if (!audio.paused) { audio.pause(); stats[why] += 1; }
    audio.removeAttribute('src');
  }

  audio.addEventListener('playing', () => { stats.played += 1; });
  audio.addEventListener('error', () => { if (audio.getAttribute('src')) stats.errors += 1; });

  return {
    /** After each scan or feedback frame: speak the highlight if it is new. */
    update(s) {
      last = s;
      const [key, path] = item(s);
      if (key === current) return;
      current = key;
      stop('superseded');
      const url = s.auditory && state.started ? withToken(path) : null;
      if (!url) return;
      if (held) { stats.waited += 1; return; } // spoken when the speech ends, if still lit
      stats.requested.push([key, url.split('?')[0]]);
      if (stats.requested.length > 100) stats.requested.splice(0, 50);
      audio.src = url;
      audio.defaultPlaybackRate = audio.playbackRate = state.speechFactor;
      audio.play().catch(() => { stats.errors += 1; });
    },
    /** A selection: the clip playing stops, and the next highlight is spoken anew. */
    cancel() { current = null; stop('cancelled'); },
    /** Speech begins (true: the clip playing stops) or ends (false: the lit spot's clip plays). */
    hold(on) {
      if (on === held) return;
      held = on;
      if (on) stop('yielded');
      else if (last) { current = null; this.update(last); }
    },
    get state() { return { ...stats, requested: [...stats.requested], current, held, playing: !audio.paused }; },
  };
}
