"""Who may do what: instructor tokens (kept as digests, revocable), learner tokens, and the
limiter of failed authentication attempts (``tokens``)."""
