"""``/docs``: the OpenAPI description in Swagger UI, served by the service itself.

FastAPI's own ``/docs`` loads Swagger UI from a CDN without Subresource Integrity, so a
compromised CDN could run script on a page an instructor opens. Here the same UI comes
from the ``swagger-ui-bundle`` package, under ``/docs/assets/``, and starts from a small
same-origin script (``static/docs-init.js``): the page keeps the service's
Content-Security-Policy (no inline script, nothing from another host).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)

ASSETS = "/docs/assets"

DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>accesstwin API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
<main id="swagger-ui" aria-label="accesstwin API reference"></main>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script>
</body>
</html>
"""


def assets() -> StaticFiles:
    return StaticFiles(directory=str(swagger_ui_path))


@router.get("/docs", response_class=HTMLResponse)
async def docs() -> HTMLResponse:
    return HTMLResponse(DOCS_PAGE)
