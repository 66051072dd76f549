"""The pages people open: the instructor dashboard (and its static assets)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import HTMLResponse, Response

from gateway.identifiers import is_identifier

router = APIRouter(include_in_schema=False)


def static_dir() -> str:
    return str(resources.files("twin_service") / "static")


@router.get("/labs/{lab}", response_class=HTMLResponse)
async def dashboard(lab: str) -> HTMLResponse:
    if not is_identifier(lab):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such lab")
    page = resources.files("twin_service").joinpath("static/dashboard.html").read_text("utf-8")
    return HTMLResponse(page)


@router.get("/favicon.ico")
async def favicon() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)
