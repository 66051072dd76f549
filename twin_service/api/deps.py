"""What routes depend on: the small services they use, and who the caller is.

Routes name the service they need (``TwinsDep``, ``SessionsDep``, ``StoreDep`` …) and
never reach through the runtime. Who the caller is was decided once, by
:class:`~twin_service.api.guard.AdmissionGuard` before the body was read, with the one
admission rule of :mod:`twin_service.auth.admission`; websockets ask the same rule
(``AdmissionDep``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from starlette.requests import HTTPConnection

from gateway.identifiers import IDENTIFIER_PATTERN, RESERVED_LAB_REASON, KitRef, is_reserved_lab
from twin_service.api.errors import CodedError
from twin_service.auth.admission import NOT_YOUR_SESSION, Admission, Principal, Refusal
from twin_service.auth.tokens import InstructorTokens, bearer
from twin_service.live.fanout import Broadcaster
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.runtime import Runtime
from twin_service.sessions.learners import LearnerProfiles
from twin_service.sessions.manager import Session, SessionManager
from twin_service.settings import Settings
from twin_service.speech.espeak import EspeakSpeech
from twin_service.store.base import TimeSeriesStore
from twin_service.twins.registry import TwinRegistry
from twin_service.twins.twin import JsonDict, TwinChange


def _runtime(connection: HTTPConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "?"


# One getter per service: FastAPI gives each an HTTPConnection (REST and websockets alike).
def _settings(c: HTTPConnection) -> Settings:
    return _runtime(c).settings


def _twins(c: HTTPConnection) -> TwinRegistry:
    return _runtime(c).twins


def _store(c: HTTPConnection) -> TimeSeriesStore:
    return _runtime(c).store


def _sessions(c: HTTPConnection) -> SessionManager:
    return _runtime(c).sessions


def _profiles(c: HTTPConnection) -> LearnerProfiles:
    return _runtime(c).profiles


def _speech(c: HTTPConnection) -> EspeakSpeech:
    return _runtime(c).speech


def _hub(c: HTTPConnection) -> Hub:
    return _runtime(c).hub


def _fanout(c: HTTPConnection) -> Broadcaster:
    return _runtime(c).fanout


def _metrics(c: HTTPConnection) -> ServiceMetrics:
    return _runtime(c).metrics


def _tokens(c: HTTPConnection) -> InstructorTokens:
    return _runtime(c).instructors


def _admission(c: HTTPConnection) -> Admission:
    return _runtime(c).admission


SetDesired = Callable[[KitRef, JsonDict], TwinChange]
"""Replace a kit's desired state: the twin changes and it is published, retained."""
Readiness = Callable[[], Awaitable[dict[str, bool]]]
MetricsText = Callable[[], bytes]


def _set_desired(c: HTTPConnection) -> SetDesired:
    return _runtime(c).set_desired


def _readiness(c: HTTPConnection) -> Readiness:
    return _runtime(c).ready


def _metrics_text(c: HTTPConnection) -> MetricsText:
    return _runtime(c).metrics_text


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
"""The whole runtime: only for the records routes, which use most of it."""
SettingsDep = Annotated[Settings, Depends(_settings)]
TwinsDep = Annotated[TwinRegistry, Depends(_twins)]
StoreDep = Annotated[TimeSeriesStore, Depends(_store)]
SessionsDep = Annotated[SessionManager, Depends(_sessions)]
ProfilesDep = Annotated[LearnerProfiles, Depends(_profiles)]
SpeechDep = Annotated[EspeakSpeech, Depends(_speech)]
HubDep = Annotated[Hub, Depends(_hub)]
FanoutDep = Annotated[Broadcaster, Depends(_fanout)]
MetricsDep = Annotated[ServiceMetrics, Depends(_metrics)]
TokensDep = Annotated[InstructorTokens, Depends(_tokens)]
AdmissionDep = Annotated[Admission, Depends(_admission)]
SetDesiredDep = Annotated[SetDesired, Depends(_set_desired)]
ReadinessDep = Annotated[Readiness, Depends(_readiness)]
MetricsTextDep = Annotated[MetricsText, Depends(_metrics_text)]


def refusal_exception(refusal: Refusal, *, session: bool) -> HTTPException:
    """The HTTP answer to a refusal: 429 once the address failed too often, else 403 for a
    session's routes (the same for "no such session" and "not yours") or 401."""
    if refusal.throttled:
        return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, refusal.reason)
    if session:
        return HTTPException(status.HTTP_403_FORBIDDEN, refusal.reason)
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, refusal.reason, headers={"WWW-Authenticate": "Bearer"}
    )


def principal_of(request: Request) -> Principal | None:
    """Who the guard admitted for this request (None: it did not look at this path)."""
    principal = getattr(request.state, "principal", None)
    return principal if isinstance(principal, Principal) else None


def require_instructor(request: Request, admission: AdmissionDep) -> None:
    principal = principal_of(request)
    if principal is not None and principal.is_instructor:
        return
    # Not admitted as the instructor by the guard (a learner's token, or a path the guard
    # does not cover): the same rule, asked here.
    token = bearer(request.headers.get("authorization"))
    outcome = admission.instructor(token, client_address(request))
    if isinstance(outcome, Refusal):
        raise refusal_exception(outcome, session=False)


Instructor = Depends(require_instructor)
LabId = Annotated[str, Path(pattern=f"^{IDENTIFIER_PATTERN}$", description="lab identifier")]
KitId = Annotated[str, Path(pattern=f"^{IDENTIFIER_PATTERN}$", description="kit identifier")]


def may_open(principal: Principal | None, session_id: str, roles: frozenset[str]) -> bool:
    """Whether the admitted ``principal`` opens session ``session_id`` in one of ``roles``."""
    return principal is not None and (
        principal.is_instructor or (principal.role in roles and principal.session_id == session_id)
    )


def _session_for(
    session_id: str, request: Request, runtime: Runtime, roles: frozenset[str]
) -> Session:
    session = runtime.sessions.get(session_id)
    if session is None or not may_open(principal_of(request), session_id, roles):
        # The guard let it through undecided (a learner route): refused by the same rule.
        refusal = runtime.admission.refuse(client_address(request), NOT_YOUR_SESSION)
        raise refusal_exception(refusal, session=True)
    return session


def session_of_caller(session_id: str, request: Request, runtime: RuntimeDep) -> Session:
    """The live session in the path, if the guard admitted its learner or the instructor."""
    return _session_for(session_id, request, runtime, frozenset({"learner"}))


CallerSessionDep = Annotated[Session, Depends(session_of_caller)]


RESERVED_LAB_MESSAGE = (
    f"{RESERVED_LAB_REASON} for the service's own topics; choose a lab name that starts"
    " with a letter, digit or '-'"
)


def kit_ref(lab: LabId, kit: KitId) -> KitRef:
    """The kit named in the path; a reserved lab (``_twin``, ``_rejected``, …) is refused
    (422), so nothing the API does can publish into the service's own topics."""
    if is_reserved_lab(lab):
        raise CodedError(422, "reserved_lab", RESERVED_LAB_MESSAGE)
    return KitRef(lab, kit)


KitDep = Annotated[KitRef, Depends(kit_ref)]
