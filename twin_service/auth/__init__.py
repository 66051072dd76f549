"""Who may do what: instructor tokens (kept as digests, revocable), learner tokens, and the
limiter of failed authentication attempts (``tokens``); revoked learner tokens, kept across
restarts by the records and asked in memory (``revocations``)."""
