"""The pages people open: the instructor dashboard, the learner page (and their assets)."""

from __future__ import annotations

import json
from importlib import resources

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response

from accessibility.languages import DEFAULT_LANGUAGE, negotiate
from accesstwin_contract.quantities import vocabulary_document
from gateway.identifiers import is_identifier, is_reserved_lab
from twin_service.api.deps import RuntimeDep
from twin_service.messages import localize_page

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
async def dashboard(lab: str, request: Request) -> HTMLResponse:
    """The instructor dashboard, in the browser's language (Accept-Language; English when
    none of its languages is supported)."""
    if not is_identifier(lab) or is_reserved_lab(lab):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such lab")
    lang = negotiate(request.headers.get("accept-language"))
    page = _page("dashboard.html").replace(VOCABULARY_MARK, vocabulary_script())
    return HTMLResponse(localize_page(page, lang), headers={"Vary": "Accept-Language"})


@router.get("/learn/{session_id}", response_class=HTMLResponse)
async def learner_page(session_id: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The learner's page. The session id is checked against the identifier pattern only:
    whether it exists, and whether the link's token opens it, the websocket decides, so
    this page says nothing about which sessions exist. Only a link whose token opens the
    session gets the page in the learner's language at once (``lang``, ``dir``, catalogue);
    any other request gets English, and the page switches when the session frame says."""
    if not is_identifier(session_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such session")
    session = runtime.sessions.get(session_id)
    token = request.query_params.get("token")
    opens = session is not None and runtime.sessions.learner_may_open(session, token)
    lang = session.scenario.lang if session is not None and opens else DEFAULT_LANGUAGE
    return HTMLResponse(localize_page(_page("learn.html"), lang))


@router.get("/sessions/{session_id}/debrief", response_class=HTMLResponse)
async def debrief_page(session_id: str, request: Request) -> HTMLResponse:
    """The debrief page: it loads ``/api/v1/sessions/{id}/debrief`` with the token the
    dashboard keeps (so it says nothing itself about which sessions exist). In the
    browser's language, as the dashboard."""
    if not is_identifier(session_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such session")
    return _record_page(request)


@router.get("/learners/{learner_id}", response_class=HTMLResponse)
async def progress_page(learner_id: str, request: Request) -> HTMLResponse:
    """A learner's progress page (loads ``/api/v1/learners/{id}/progress?format=html``)."""
    if not is_identifier(learner_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such learner")
    return _record_page(request)


def _record_page(request: Request) -> HTMLResponse:
    lang = negotiate(request.headers.get("accept-language"))
    page = localize_page(_page("record.html"), lang)
    return HTMLResponse(page, headers={"Vary": "Accept-Language"})


def _page(name: str) -> str:
    return resources.files("twin_service").joinpath(f"static/{name}").read_text("utf-8")


@router.get("/favicon.ico")
async def favicon() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)
