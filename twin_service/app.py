"""The FastAPI application; its lifespan owns the runtime (MQTT, store, tasks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import RequestResponseEndpoint

from twin_service.api import (
    docs,
    errors,
    health,
    learner_records,
    learning,
    pages,
    practice_timing,
    session_records,
    tokens,
    twins,
    ws,
)
from twin_service.api.body_limit import BodyLimit
from twin_service.api.guard import AdmissionGuard
from twin_service.records.base import RecordsStore
from twin_service.runtime import Runtime
from twin_service.settings import Settings
from twin_service.store.base import TimeSeriesStore

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
PAGE_CSP = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:;"
    " media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def create_app(
    settings: Settings,
    store: TimeSeriesStore | None = None,
    records: RecordsStore | None = None,
) -> FastAPI:
    runtime = Runtime(settings, store, records)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="accesstwin",
        version="0.1.0",
        summary="Live digital twins of lab kits, turned into accessible feedback",
        lifespan=lifespan,
        # FastAPI's /docs and /redoc load their scripts from a CDN without SRI: /docs is
        # served from the swagger-ui-bundle package instead (api/docs.py), /redoc is off.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    # Every refusal carries a machine code beside its English detail (api/errors.py).
    app.add_exception_handler(StarletteHTTPException, errors.http_error)
    app.add_exception_handler(RequestValidationError, errors.validation_error)
    runtime.metrics.watch_speech_cache(runtime.speech)
    # Innermost first: the size bound, then admission (outside it, so a request without
    # a valid token is refused before anything about its body), then revocation.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, metrics=runtime.metrics)
    app.add_middleware(AdmissionGuard, admission=runtime.admission, metrics=runtime.metrics)
    app.add_middleware(tokens.CloseSocketsOnRevoke, tokens=runtime.instructors)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Content-Security-Policy"] = PAGE_CSP
        return response

    app.include_router(health.router)
    app.include_router(twins.router)
    app.include_router(learning.router)
    app.include_router(practice_timing.router)
    app.include_router(session_records.router)
    app.include_router(learner_records.router)
    app.include_router(tokens.router)
    app.include_router(ws.router)
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.mount(docs.ASSETS, docs.assets(), name="docs-assets")
    app.mount("/static", StaticFiles(directory=pages.static_dir()), name="static")
    return app
