"""Flux queries for the InfluxDB store and a parser for their annotated-CSV answers.

Everything here is pure (text in, values out) so it is tested against InfluxDB 2
annotated-CSV answers kept as test data (hand-written, and cross-checked with
influxdb-client's own parser; see tests/data/influx/README.md). Strings are always
escaped into Flux string literals, even though lab, kit and sensor names are validated
identifiers before they get here.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from twin_service.store.base import StoredValue
from twin_service.store.influx_lines import MEASUREMENT, RECEIVED_FIELD, VALUE_FIELD, ns_to_ts

FluxValue = str | float | int | bool | None
FluxRecord = dict[str, FluxValue]

FIRST_NS = 0  # 1970-01-01T00:00:00Z
LAST_NS = 7_258_118_400 * 1_000_000_000  # 2200-01-01T00:00:00Z, inside Flux's int64 ns range
_NS = 1_000_000_000
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)\Z"
)
_FLUX_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


class FluxQueryError(Exception):
    """InfluxDB answered a query with an error table, or the answer is not annotated CSV."""


def flux_string(text: str) -> str:
    """``text`` as a Flux string literal: quotes, backslashes, controls and ``${`` escaped."""
    if any(ord(c) < 0x20 and c not in "\n\r\t" for c in text):
        raise ValueError(f"control character in Flux string {text!r}")
    return '"' + text.translate(_FLUX_ESCAPES).replace("${", "\\${") + '"'


def flux_time(ns: int) -> str:
    """Integer ns → a Flux RFC 3339 time literal with 9 fraction digits."""
    ns = min(max(ns, FIRST_NS), LAST_NS)
    seconds, fraction = divmod(ns, _NS)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{fraction:09d}Z"


def parse_rfc3339_ns(text: str) -> int:
    """RFC 3339 (as InfluxDB writes ``_time``: up to 9 fraction digits) → integer ns."""
    match = _RFC3339.match(text)
    if match is None:
        raise FluxQueryError(f"not an RFC 3339 time: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    seconds = calendar.timegm(
        (int(year), int(month), int(day), int(hour), int(minute), int(second), 0, 0, 0)
    )
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds * _NS + int((fraction or "").ljust(9, "0"))


def history_query(
    bucket: str, lab: str, kit: str, sensor: str, start_ns: int, end_ns: int, limit: int
) -> str:
    """Newest ``limit`` values of one series with device time in [start_ns, end_ns]."""
    return _one_series(bucket, lab, kit, sensor, start_ns, end_ns) + _newest(limit)


def _one_series(bucket: str, lab: str, kit: str, sensor: str, start_ns: int, end_ns: int) -> str:
    """The values of one series with device time in [start_ns, end_ns]."""
    # range() excludes its stop, so stop one nanosecond after the inclusive end.
    return (
        f"from(bucket: {flux_string(bucket)})\n"
        f"  |> range(start: {flux_time(start_ns)}, stop: {flux_time(end_ns + 1)})\n"
        f"  |> filter(fn: (r) => r._measurement == {flux_string(MEASUREMENT)}"
        f" and r._field == {flux_string(VALUE_FIELD)})\n"
        f"  |> filter(fn: (r) => r.lab == {flux_string(lab)} and r.kit == {flux_string(kit)}"
        f" and r.sensor == {flux_string(sensor)})\n"
    )


def _newest(limit: int) -> str:
    """The newest ``limit`` rows, as (_time, _value)."""
    return (
        '  |> sort(columns: ["_time"], desc: true)\n'
        f"  |> limit(n: {int(limit)})\n"
        '  |> keep(columns: ["_time", "_value"])\n'
    )


def flux_duration(ns: int) -> str:
    """A positive integer ns as a Flux duration literal in the largest exact unit."""
    if ns <= 0:
        raise ValueError(f"a window must be positive, got {ns} ns")
    for unit, size in (("s", _NS), ("ms", 1_000_000), ("us", 1_000)):
        if ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns}ns"


def history_means_query(
    bucket: str,
    lab: str,
    kit: str,
    sensor: str,
    start_ns: int,
    end_ns: int,
    every_ns: int,
    limit: int,
) -> str:
    """Mean per ``every_ns`` window (epoch-aligned, empty ones left out) of one series
    with device time in [start_ns, end_ns]: the newest ``limit`` windows, stamped with
    their start. The first window's ``_start`` is cut to the range start by Flux;
    ``align_points`` puts it back on the window grid."""
    return (
        _one_series(bucket, lab, kit, sensor, start_ns, end_ns)
        + f"  |> aggregateWindow(every: {flux_duration(every_ns)}, fn: mean,"
        ' createEmpty: false, timeSrc: "_start")\n' + _newest(limit)
    )


def latest_query(bucket: str) -> str:
    """The newest (by device time) value and received_at of every series."""
    return (
        f"from(bucket: {flux_string(bucket)})\n"
        f"  |> range(start: {flux_time(FIRST_NS)}, stop: {flux_time(LAST_NS)})\n"
        f"  |> filter(fn: (r) => r._measurement == {flux_string(MEASUREMENT)})\n"
        f"  |> filter(fn: (r) => r._field == {flux_string(VALUE_FIELD)}"
        f" or r._field == {flux_string(RECEIVED_FIELD)})\n"
        "  |> last()\n"
        '  |> keep(columns: ["_time", "_value", "_field", "lab", "kit", "sensor"])\n'
    )


def _convert(raw: str, datatype: str) -> FluxValue:
    if datatype in ("double",):
        return float(raw)
    if datatype in ("long", "unsignedLong"):
        return int(raw)
    if datatype == "boolean":
        return raw == "true"
    if datatype.startswith("dateTime"):
        return parse_rfc3339_ns(raw)
    return raw


def parse_annotated_csv(text: str) -> list[FluxRecord]:
    """Every record of every table, typed by ``#datatype`` (times as int ns).

    Tables with the same columns share one block; a blank line starts a new block with
    its own annotation rows and header. An error table raises ``FluxQueryError``.
    """
    records: list[FluxRecord] = []
    annotations: dict[str, list[str]] = {}
    header: list[str] | None = None
    for row in csv.reader(io.StringIO(text)):
        if not row or all(cell == "" for cell in row):
            annotations, header = {}, None
        elif row[0].startswith("#"):
            annotations[row[0]] = row[1:]
        elif header is None:
            header = row[1:]
            if header[:2] == ["error", "reference"]:
                header = ["error", "reference"]
        elif header == ["error", "reference"]:
            raise FluxQueryError(f"InfluxDB query failed: {row[1] if len(row) > 1 else row}")
        else:
            records.append(_record(header, row[1:], annotations))
    return records


def _record(header: list[str], cells: list[str], annotations: dict[str, list[str]]) -> FluxRecord:
    if len(cells) != len(header):
        raise FluxQueryError(f"row has {len(cells)} cells for {len(header)} columns")
    types = annotations.get("#datatype", [])
    defaults = annotations.get("#default", [])
    record: FluxRecord = {}
    for i, (name, raw) in enumerate(zip(header, cells, strict=True)):
        cell = raw if raw != "" else (defaults[i] if i < len(defaults) else "")
        datatype = types[i] if i < len(types) else "string"
        try:
            record[name] = None if cell == "" and datatype != "string" else _convert(cell, datatype)
        except ValueError as exc:
            raise FluxQueryError(f"column {name!r}: {cell!r} is not {datatype}") from exc
    return record


def history_points(records: Iterable[FluxRecord], limit: int) -> list[tuple[float, float]]:
    """(ts, value) ascending by device time, the newest ``limit`` of them."""
    rows: list[tuple[int, float]] = []
    for r in records:
        time_ns, value = r.get("_time"), r.get("_value")
        if isinstance(time_ns, int) and isinstance(value, float | int):
            rows.append((time_ns, float(value)))
    rows.sort()
    rows = rows[-limit:] if limit > 0 else []
    return [(ns_to_ts(ns), value) for ns, value in rows]


def window_points(
    records: Iterable[FluxRecord], every_ns: int, limit: int
) -> list[tuple[float, float]]:
    """(window start, mean) ascending, each ``_time`` moved down onto the epoch-aligned
    grid of ``every_ns`` (a window cut short by the range start keeps its grid start)."""
    rows: dict[int, float] = {}
    for r in records:
        time_ns, value = r.get("_time"), r.get("_value")
        if isinstance(time_ns, int) and isinstance(value, float | int):
            rows[time_ns - time_ns % every_ns] = float(value)
    newest = sorted(rows)[-limit:] if limit > 0 else []
    return [(ns_to_ts(ns), rows[ns]) for ns in newest]


def latest_rows(records: Iterable[FluxRecord]) -> list[StoredValue]:
    """Pair each series' last ``value`` with the ``received_at`` written in the same point."""
    values: dict[tuple[str, str, str], tuple[int, float]] = {}
    received: dict[tuple[str, str, str], tuple[int, float]] = {}
    for r in records:
        lab, kit, sensor = r.get("lab"), r.get("kit"), r.get("sensor")
        time_ns, value = r.get("_time"), r.get("_value")
        if not (isinstance(lab, str) and isinstance(kit, str) and isinstance(sensor, str)):
            continue
        if not isinstance(time_ns, int) or not isinstance(value, float | int):
            continue
        key = (lab, kit, sensor)
        if r.get("_field") == VALUE_FIELD:
            values[key] = (time_ns, float(value))
        elif r.get("_field") == RECEIVED_FIELD:
            received[key] = (time_ns, float(value))
    out = []
    for (lab, kit, sensor), (time_ns, value) in sorted(values.items()):
        ts = ns_to_ts(time_ns)
        got = received.get((lab, kit, sensor))
        received_at = got[1] if got is not None and got[0] == time_ns else ts
        out.append(StoredValue(lab, kit, sensor, ts, value, received_at))
    return out
