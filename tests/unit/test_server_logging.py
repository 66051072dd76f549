"""Tokens never reach the logs through uvicorn's websocket lines."""

from __future__ import annotations

import logging

from twin_service.ops.server import RedactTokens


def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, msg, args, None)


def test_the_token_in_a_websocket_path_is_redacted() -> None:
    line = record(
        '%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", "/ws/labs/a?batch_ms=50&token=s3cr3t"
    )
    assert RedactTokens().filter(line)
    text = line.getMessage()
    assert "s3cr3t" not in text
    assert "/ws/labs/a?batch_ms=50&token=[redacted]" in text


def test_a_token_in_the_message_itself_and_other_lines_are_handled() -> None:
    inline = record("GET /learn/x?token=abc-DEF_1 200")
    RedactTokens().filter(inline)
    assert inline.getMessage() == "GET /learn/x?token=[redacted] 200"
    plain = record("connection open")
    RedactTokens().filter(plain)
    assert plain.getMessage() == "connection open"
