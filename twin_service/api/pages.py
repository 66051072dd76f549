"""The pages people open: the instructor dashboard, the learner page (and their assets)."""

from __future__ import annotations

import json
from importlib import resources

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import HTMLResponse, Response

from accesstwin_contract.quantities import vocabulary_document
from gateway.identifiers import is_identifier, is_reserved_lab

router = APIRouter(include_in_schema=False)

VOCABULARY_MARK = "<!-- vocabulary -->"


def vocabulary_script() -> str:
    """The sensors and derived values (names, units, labels) as a JSON data block for the
    page's script, which must not list them itself (a data block is not run: CSP-safe)."""
    text = json.dumps(vocabulary_document(), ensure_ascii=False).replace("<", "\\u003c")
    return f'<script type="application/json" id="accesstwin-vocabulary">{text}</script>'


def static_dir() -> str:
    return str(resources.files("twin_service") / "static")


@router.get("/labs/{lab}", response_class=HTMLResponse)
async def dashboard(lab: str) -> HTMLResponse:
    if not is_identifier(lab) or is_reserved_lab(lab):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such lab")
    return HTMLResponse(_page("dashboard.html").replace(VOCABULARY_MARK, vocabulary_script()))


@router.get("/learn/{session_id}", response_class=HTMLResponse)
async def learner_page(session_id: str) -> HTMLResponse:
    """The learner's page. The session id is checked against the identifier pattern only:
    whether it exists, and whether the link's token opens it, the websocket decides, so
    this page says nothing about which sessions exist."""
    if not is_identifier(session_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such session")
    return HTMLResponse(_page("learn.html"))


@router.get("/sessions/{session_id}/debrief", response_class=HTMLResponse)
async def debrief_page(session_id: str) -> HTMLResponse:
    """The debrief page: it loads ``/api/v1/sessions/{id}/debrief`` with the token the
    dashboard keeps (so it says nothing itself about which sessions exist)."""
    if not is_identifier(session_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such session")
    return HTMLResponse(_page("record.html"))


@router.get("/learners/{learner_id}", response_class=HTMLResponse)
async def progress_page(learner_id: str) -> HTMLResponse:
    """A learner's progress page (loads ``/api/v1/learners/{id}/progress?format=html``)."""
    if not is_identifier(learner_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such learner")
    return HTMLResponse(_page("record.html"))


def _page(name: str) -> str:
    return resources.files("twin_service").joinpath(f"static/{name}").read_text("utf-8")


@router.get("/favicon.ico")
async def favicon() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)
