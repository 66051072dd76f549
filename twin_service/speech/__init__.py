"""Speech synthesis behind a small interface: :class:`~twin_service.speech.espeak.EspeakSpeech`
(coalescing, the espeak-ng program as fallback) over a worker process with its timeout and
restart (``worker``), which loads the system's or the bundled libespeak-ng (``engine``,
``ACCESSTWIN_SPEECH_ENGINE``), and a bounded WAV cache (``cache``)."""
