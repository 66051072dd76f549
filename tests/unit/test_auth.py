from __future__ import annotations

from twin_service.auth import FailureLimiter, InstructorTokens, bearer, digest


def test_instructor_tokens_are_kept_as_digests_and_revocable() -> None:
    tokens = InstructorTokens(["first-token-abcdefgh", "second-token-abcdefg"])
    assert tokens.check("first-token-abcdefgh")
    assert tokens.check("second-token-abcdefg")
    assert not tokens.check("first-token-abcdefgX")
    assert not tokens.check(None)
    assert not tokens.check("")
    assert digest("first-token-abcdefgh") in tokens._digests
    assert "first-token-abcdefgh" not in repr(vars(tokens))
    assert tokens.revoke("first-token-abcdefgh")
    assert not tokens.check("first-token-abcdefgh")
    assert tokens.check("second-token-abcdefg")


def test_auth_disabled_lets_everyone_in() -> None:
    assert InstructorTokens([], enabled=False).check(None)


def test_failure_limiter_blocks_then_forgets() -> None:
    limiter = FailureLimiter(max_failures=3, window_s=10)
    for t in range(3):
        assert not limiter.blocked("10.0.0.1", now=t)
        limiter.failed("10.0.0.1", now=t)
    assert limiter.blocked("10.0.0.1", now=3)
    assert not limiter.blocked("10.0.0.2", now=3)
    assert not limiter.blocked("10.0.0.1", now=13)


def test_bearer_header_parsing() -> None:
    assert bearer("Bearer abc") == "abc"
    assert bearer("bearer  abc ") == "abc"
    assert bearer("Basic abc") is None
    assert bearer(None) is None
