"""Bearer-token checks (constant-time) for the REST API and the lab websocket."""

from __future__ import annotations

import hmac

from twin_service.settings import Settings


def token_ok(settings: Settings, presented: str | None) -> bool:
    if not settings.auth_enabled:
        return True
    if not presented or settings.api_token is None:
        return False
    return hmac.compare_digest(presented.encode(), settings.api_token.encode())


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value else None
