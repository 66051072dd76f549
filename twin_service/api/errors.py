"""API errors with a stable machine code beside the English ``detail`` (docs/interface.md,
"Errors"). Additive: a client that reads ``detail`` keeps working; the pages say the error
in their language by ``code`` (catalogue ``error.{code}``, values from ``values``) and show
``detail`` when they have no words for a code.

``{"detail": "limit: 50 sessions are running (the most allowed)", "code":
"too_many_sessions", "values": {}}``. A refusal raised without a code of its own gets the
one its status names (``not_found``, ``conflict``, …); a request that fails validation
(FastAPI's 422, ``detail`` a list) gets ``invalid_request`` with the fields named.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

from fastapi import HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

STATUS_CODES: Final[Mapping[int, str]] = {
    400: "bad_request",
    401: "unauthorised",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    422: "invalid_request",
    429: "too_many_requests",
    503: "unavailable",
}


class CodedError(HTTPException):
    """An HTTPException with its machine ``code`` (and ``values`` for its sentence)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        detail: str,
        values: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, detail, dict(headers) if headers else None)
        self.code = code
        self.values = {k: str(v) for k, v in (values or {}).items()}


def error_body(exc: StarletteHTTPException) -> dict[str, object]:
    code = getattr(exc, "code", None) or STATUS_CODES.get(exc.status_code, "error")
    return {"detail": exc.detail, "code": code, "values": dict(getattr(exc, "values", {}))}


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return JSONResponse(error_body(exc), exc.status_code, headers=exc.headers)


async def validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own 422 body (``detail``: the list of problems) with ``code`` and the
    fields named in ``values.fields``."""
    assert isinstance(exc, RequestValidationError)
    fields = sorted(
        {".".join(str(p) for p in e.get("loc", ()) if p != "body") for e in exc.errors()} - {""}
    )
    response = await request_validation_exception_handler(request, exc)
    body = json.loads(bytes(response.body))
    body.update(code="invalid_request", values={"fields": ", ".join(fields)})
    return JSONResponse(body, response.status_code)
