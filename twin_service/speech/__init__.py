"""Speech synthesis behind a small interface: the espeak-ng worker process with its
timeout, restart and WAV cache (``espeak``)."""
