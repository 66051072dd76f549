"""Dependency aliases shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status

from gateway.identifiers import IDENTIFIER_PATTERN, KitRef
from twin_service.auth import bearer, token_ok
from twin_service.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def require_instructor(request: Request, runtime: RuntimeDep) -> None:
    if not token_ok(runtime.settings, bearer(request.headers.get("authorization"))):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


Instructor = Depends(require_instructor)
LabId = Annotated[str, Path(pattern=f"^{IDENTIFIER_PATTERN}$", description="lab identifier")]
KitId = Annotated[str, Path(pattern=f"^{IDENTIFIER_PATTERN}$", description="kit identifier")]


def kit_ref(lab: LabId, kit: KitId) -> KitRef:
    return KitRef(lab, kit)


KitDep = Annotated[KitRef, Depends(kit_ref)]
