from __future__ import annotations

import pytest

from twin_service.auth.tokens import (
    FailureLimiter,
    InstructorTokens,
    LastTokenError,
    TokenListing,
    UnknownTokenError,
    bearer,
    digest,
)


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


A, B, C = "first-token-abcdefgh", "second-token-abcdefg", "third-token-abcdefgh"


def test_listing_names_tokens_by_digest_prefix_in_configured_order() -> None:
    tokens = InstructorTokens([A, B, A])
    assert tokens.listing() == [
        TokenListing(digest(A).hex()[:12], revoked=False),
        TokenListing(digest(B).hex()[:12], revoked=False),
    ]
    tokens.revoke(B)
    assert [t.revoked for t in tokens.listing()] == [False, True]


def test_a_token_is_found_by_itself_or_by_its_digest_or_digest_prefix() -> None:
    tokens = InstructorTokens([A, B])
    assert tokens.find(token=B) == digest(B)
    assert tokens.find(hex_digest=digest(B).hex()) == digest(B)
    assert tokens.find(hex_digest=digest(B).hex()[:12].upper()) == digest(B)
    with pytest.raises(UnknownTokenError):
        tokens.find(hex_digest=digest(B).hex()[:11])  # too short to name one token
    with pytest.raises(UnknownTokenError):
        tokens.find(token=C)
    with pytest.raises(UnknownTokenError):
        tokens.find(hex_digest=digest(C).hex())


def test_the_last_token_in_force_cannot_be_revoked() -> None:
    tokens = InstructorTokens([A, B])
    assert tokens.revoke_digest(digest(A)) == 0
    with pytest.raises(LastTokenError, match="last instructor token"):
        tokens.revoke_digest(digest(B))
    assert tokens.check(B)
    assert not tokens.revoke(A)  # already revoked: nothing changes
    assert not tokens.check(A)


def test_watchers_of_a_token_are_told_when_it_is_revoked() -> None:
    tokens = InstructorTokens([A, B, C])
    told: list[str] = []
    tokens.watch(A, lambda: told.append("a1"))
    stop_a2 = tokens.watch(A, lambda: told.append("a2"))
    tokens.watch(B, lambda: told.append("b"))
    stop_a2()
    assert tokens.revoke_digest(digest(A)) == 1
    assert told == ["a1"]
    tokens.watch(A, lambda: told.append("late"))  # already revoked: told at once
    assert told == ["a1", "late"]
    assert tokens.watched == 3
