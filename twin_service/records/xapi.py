"""xAPI 1.0.3 statements for a session's events (pure; docs/records.md, "xAPI").

ADL verbs initialized, answered, scored, completed and terminated. The actor is the
learner's account on this service (``homePage`` = the service URL, ``name`` = the
learner id: pseudonymous, no personal data). A statement's id is a UUID 5 of the
session id, the event's sequence number and the verb, so a statement sent again is the
same statement and the LRS keeps it once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from twin_service.records.base import EventRow, OutboxWrite

XAPI_VERSION = "1.0.3"
VERBS = {
    name: f"http://adlnet.gov/expapi/verbs/{name}"
    for name in ("initialized", "answered", "scored", "completed", "terminated")
}
SIMULATION = "http://adlnet.gov/expapi/activities/simulation"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
# Fixed namespace of accesstwin statement ids (uuid5 of "accesstwin xAPI statements").
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:accesstwin:xapi:statements")


@dataclass(frozen=True, slots=True)
class SessionContext:
    base_url: str  # the service's public URL: the actor's homePage and the IRIs' root
    session_id: str
    learner_id: str
    lab: str
    kit: str
    scenario: str
    scenario_title: str


def statement_id(session_id: str, seq: int, verb: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{session_id}/{seq}/{verb}"))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ext(ctx: SessionContext, name: str) -> str:
    return f"{ctx.base_url}/xapi/extensions/{name}"


def _statement(
    ctx: SessionContext, event: EventRow, verb: str, obj: dict[str, Any], result: dict[str, Any]
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": statement_id(ctx.session_id, event.seq, verb),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": ctx.base_url, "name": ctx.learner_id},
        },
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": obj,
        "context": {
            "registration": str(uuid.uuid5(NAMESPACE, f"session/{ctx.session_id}")),
            "platform": "accesstwin",
            "extensions": {
                _ext(ctx, "session_id"): ctx.session_id,
                _ext(ctx, "lab"): ctx.lab,
                _ext(ctx, "kit"): ctx.kit,
            },
        },
        "timestamp": _iso(event.ts),
    }
    if result:
        statement["result"] = result
    return statement


def _scenario(ctx: SessionContext) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": f"{ctx.base_url}/scenarios/{ctx.scenario}",
        "definition": {"name": {"en-US": ctx.scenario_title}, "type": SIMULATION},
    }


def _score_result(ctx: SessionContext, score: dict[str, Any]) -> dict[str, Any]:
    raw = float(score.get("score", 0.0))
    result: dict[str, Any] = {
        "score": {"scaled": round(raw / 100, 4), "raw": round(raw, 2), "min": 0, "max": 100}
    }
    metrics = {
        _ext(ctx, f"{score.get('kind', 'score')}/{name}"): value
        for name, value in (score.get("metrics") or {}).items()
        if value is not None
    }
    if metrics:  # the CPR metrics (compressions, % in target, CCF) or the decision counts
        result["extensions"] = metrics
    return result


def statements_for(ctx: SessionContext, event: EventRow) -> list[dict[str, Any]]:
    """The statements one event stands for (most events stand for none)."""
    if event.kind == "session.created":
        return [_statement(ctx, event, "initialized", _scenario(ctx), {})]
    if event.kind == "choice" and event.data.get("accepted", True):
        step = str(event.data.get("step"))
        obj = {
            "objectType": "Activity",
            "id": f"{ctx.base_url}/scenarios/{ctx.scenario}/steps/{step}",
            "definition": {"name": {"en-US": f"{ctx.scenario_title}: {step}"}, "type": INTERACTION},
        }
        result: dict[str, Any] = {"response": str(event.data.get("choice"))}
        if event.data.get("correct") is not None:
            result["success"] = bool(event.data["correct"])
        return [_statement(ctx, event, "answered", obj, result)]
    if event.kind == "session.finished":
        score = event.data.get("score") or {}
        scored = _score_result(ctx, score)
        completed = {**scored, "completion": True}
        return [
            _statement(ctx, event, "scored", _scenario(ctx), scored),
            _statement(ctx, event, "completed", _scenario(ctx), completed),
            _statement(ctx, event, "terminated", _scenario(ctx), {}),
        ]
    return []


def outbox_writes(ctx: SessionContext, event: EventRow) -> list[OutboxWrite]:
    return [
        OutboxWrite(s["id"], json.dumps(s, separators=(",", ":"), allow_nan=False), event.ts)
        for s in statements_for(ctx, event)
    ]
