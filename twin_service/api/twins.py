"""Twins: list, one twin, history, desired state."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Response, status

from accesstwin_contract.quantities import SENSOR_NAME_PATTERN, unit_of_value
from twin_service.api.deps import (
    Instructor,
    KitDep,
    SetDesiredDep,
    SettingsDep,
    StoreDep,
    TwinsDep,
)
from twin_service.api.errors import CodedError
from twin_service.api.timeparse import parse_time
from twin_service.records.views import points_csv
from twin_service.store.base import BucketWidth
from twin_service.twins.registry import TwinLimitReachedError

router = APIRouter(prefix="/api/v1/twins", tags=["twins"], dependencies=[Instructor])

MAX_HISTORY_POINTS = 10_000


@router.get("")
async def list_twins(twins: TwinsDep) -> list[dict[str, Any]]:
    return [twin.summary() for twin in twins]


@router.get("/{lab}/{kit}")
async def get_twin(kit: KitDep, twins: TwinsDep, settings: SettingsDep) -> dict[str, Any]:
    twin = twins.get(kit)
    if twin is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no twin {kit}")
    return dict(twin.to_json(time.time(), settings.stale_after_s))


@router.get("/{lab}/{kit}/history", response_model=None)
async def history(
    kit: KitDep,
    store: StoreDep,
    sensor: Annotated[str, Query(pattern=f"^{SENSOR_NAME_PATTERN}$")],
    start: str | None = None,
    end: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_POINTS)] = 1_000,
    every: Annotated[
        float | None,
        Query(
            ge=BucketWidth.MIN_S,
            le=BucketWidth.MAX_S,
            allow_inf_nan=False,
            description="Downsample: seconds per bucket (0.001 to 86400). Points become"
            " [bucket_start, mean] of each non-empty bucket, buckets aligned to the Unix"
            " epoch; `limit` then counts buckets.",
        ),
    ] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> dict[str, Any] | Response:
    """The sensor's points; ``format=csv`` gives the same as ``text/csv``."""
    try:
        start_ts, end_ts = parse_time(start, "start"), parse_time(end, "end")
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    unit = unit_of_value(sensor)
    if every is None:
        points = await store.history(kit, sensor, start_ts, end_ts, limit)
    else:
        width = BucketWidth.from_seconds(every)
        points = await store.history_means(kit, sensor, start_ts, end_ts, width, limit)
    if format == "csv":
        return Response(
            points_csv(sensor, unit, [[ts, v] for ts, v in points]),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{kit.lab}-{kit.kit}-{sensor}.csv"'
            },
        )
    if every is None:
        return {"sensor": sensor, "unit": unit, "points": [[ts, v] for ts, v in points]}
    means = points
    return {
        "sensor": sensor,
        "unit": unit,
        "every": width.seconds,
        "points": [[ts, v] for ts, v in means],
    }


@router.put("/{lab}/{kit}/desired")
async def put_desired(
    kit: KitDep,
    twins: TwinsDep,
    set_desired: SetDesiredDep,
    desired: Annotated[dict[str, Any], Body(examples=[{"scenario": "cpr", "buzzer": True}])],
) -> dict[str, Any]:
    """Replace the kit's desired state; it is published retained to the kit's topic."""
    try:
        change = set_desired(kit, desired)
    except TwinLimitReachedError as exc:
        raise CodedError(409, "too_many_twins", str(exc)) from None
    twin = twins.get(kit)
    assert twin is not None
    return {"version": change.version, "desired": twin.desired, "delta": twin.delta()}
