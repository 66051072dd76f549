"""Dependency aliases shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status

from gateway.identifiers import IDENTIFIER_PATTERN, RESERVED_LAB_REASON, KitRef, is_reserved_lab
from twin_service.auth.tokens import bearer
from twin_service.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def require_instructor(request: Request, runtime: RuntimeDep) -> None:
    client = client_address(request)
    if runtime.auth_failures.blocked(client):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many failed attempts")
    if not runtime.instructors.check(bearer(request.headers.get("authorization"))):
        runtime.auth_failures.failed(client)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


Instructor = Depends(require_instructor)
LabId = Annotated[str, Path(pattern=f"^{IDENTIFIER_PATTERN}$", description="lab identifier")]
KitId = Annotated[str, Path(pattern=f"^{IDENTIFIER_PATTERN}$", description="kit identifier")]


RESERVED_LAB_MESSAGE = (
    f"{RESERVED_LAB_REASON} for the service's own topics; choose a lab name that starts"
    " with a letter, digit or '-'"
)


def kit_ref(lab: LabId, kit: KitId) -> KitRef:
    """The kit named in the path; a reserved lab (``_twin``, ``_rejected``, …) is refused
    (422), so nothing the API does can publish into the service's own topics."""
    if is_reserved_lab(lab):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, RESERVED_LAB_MESSAGE)
    return KitRef(lab, kit)


KitDep = Annotated[KitRef, Depends(kit_ref)]
