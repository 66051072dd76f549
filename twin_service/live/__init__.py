"""Live delivery: the websocket ``Hub`` (a shared log per group, a cursor per client,
coalescing of slow clients, batch frames)."""
