// accesstwin learner page: speech. Each frame's WAV comes from the server (espeak-ng at the
// learner's rate, fetched with the page's token) and is played in order after the Start
// gesture; a newer message on a topic replaces a queued one; a critical message interrupts and comes after the earcon (learn-cues.js); the
// metronome is ducked while anything plays. The local speed factor only changes playback.
// onBusy(true) is called when speech begins (an earcon or a WAV, queued ones following),
// onBusy(false) once nothing is left to say: the auditory scan's clips wait in between.

/** ctx: { state (token, started, speechOn, speechFactor, stats), cues, maxQueue, onBusy(busy) }. */
export function createSpeech({ state, cues, maxQueue, onBusy = () => {} }) {
  const audio = new Audio();
  const queue = [];
  let speaking = false;
  let busy = false;
  function setBusy(on) { if (on !== busy) { busy = on; onBusy(on); } }

  function audioUrl(f) {
    const path = f?.speech?.audio_url;
    if (typeof path !== 'string' || !f.speech.enabled) return null;
    const url = new URL(path, location.origin);
    if (url.origin !== location.origin) return null;
    if (state.token) url.searchParams.set('token', state.token);
    return url.pathname + url.search;
  }

  function speak(f, { interrupt = f?.severity === 'critical' } = {}) {
    const critical = f?.severity === 'critical' && state.started;
    const url = audioUrl(f);
    if (!url || !state.started || !state.speechOn) { if (critical) cues.alarm(); return; }
    if (interrupt) { queue.length = 0; audio.pause(); speaking = false; }
    // A newer message on a topic supersedes one still waiting ("Rate is good now" drops a
    // queued "Too slow"): a correction that is no longer true is not spoken.
    const topic = typeof f.topic === 'string' && f.topic !== 'prompt' ? f.topic : null;
    if (topic) for (let i = queue.length - 1; i >= 0; i -= 1) if (queue[i].topic === topic) queue.splice(i, 1);
    queue.push({ url, topic });
    if (queue.length > maxQueue) queue.splice(0, queue.length - maxQueue);
    setBusy(true); // before anything plays: a clip about to start waits
    if (critical) { // the earcon first, then the message
      speaking = true;
      cues.alarm().then(() => { speaking = false; playNext(); });
      return;
    }
    if (!speaking) playNext();
  }

  function playNext() {
    const url = queue.shift()?.url;
    speaking = Boolean(url);
    setBusy(speaking);
    if (!url) return;
    state.stats.lastAudio = url;
    audio.src = url;
    audio.defaultPlaybackRate = audio.playbackRate = state.speechFactor; // a new src resets the rate
    audio.play().catch(() => { state.stats.audioErrors += 1; playNext(); });
  }

  audio.addEventListener('playing', () => { state.stats.played += 1; cues.duck(true); });
  audio.addEventListener('pause', () => cues.duck(false)); // also fired at the end
  audio.addEventListener('ended', () => { cues.duck(false); playNext(); });
  audio.addEventListener('error', () => { state.stats.audioErrors += 1; cues.duck(false); playNext(); });

  return {
    speak,
    stop() { queue.length = 0; audio.pause(); speaking = false; cues.duck(false); setBusy(false); },
    setRate(factor) { audio.defaultPlaybackRate = audio.playbackRate = factor; },
    get rate() { return audio.playbackRate; },
    get paused() { return audio.paused; },
    get busy() { return busy; },
  };
}
