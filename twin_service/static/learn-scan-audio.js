// accesstwin learner page: auditory scanning (profile `auditory_scan`). Each newly
// highlighted item (an answer, a group, or "Back") is spoken by a short clip from the
// session's speech cache: the frame's `choices[i].audio_url`, `scan.group_audio_urls[g]`,
// `scan.back_audio_url` (docs/learner-page.md). A new highlight cancels the clip playing,
// and so does a selection (a choice sent, or a new question). The server stretches each
// item's scan time to fit its clip. Clips play only after the Start gesture, at the
// learner's speech speed, fetched with the page's token; nothing plays without a URL.

/** ctx: { state (token, started, speechFactor) }. */
export function createScanAudio({ state }) {
  const audio = new Audio();
  let current = null; // the item key whose clip is loaded ("c:2", "g:1", "b:1")
  const stats = { requested: [], played: 0, superseded: 0, cancelled: 0, errors: 0 };

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

  function stop(why) { // why: 'superseded' (a new highlight) or 'cancelled' (a selection)
    if (!audio.paused) { audio.pause(); stats[why] += 1; }
    audio.removeAttribute('src');
  }

  audio.addEventListener('playing', () => { stats.played += 1; });
  audio.addEventListener('error', () => { if (audio.getAttribute('src')) stats.errors += 1; });

  return {
    /** After each scan or feedback frame: speak the highlight if it is new. */
    update(s) {
      const [key, path] = item(s);
      if (key === current) return;
      current = key;
      stop('superseded');
      const url = s.auditory && state.started ? withToken(path) : null;
      if (!url) return;
      stats.requested.push([key, url.split('?')[0]]);
      if (stats.requested.length > 100) stats.requested.splice(0, 50);
      audio.src = url;
      audio.defaultPlaybackRate = audio.playbackRate = state.speechFactor;
      audio.play().catch(() => { stats.errors += 1; });
    },
    /** A selection: the clip playing stops, and the next highlight is spoken anew. */
    cancel() { current = null; stop('cancelled'); },
    get state() { return { ...stats, requested: [...stats.requested], current, playing: !audio.paused }; },
  };
}
