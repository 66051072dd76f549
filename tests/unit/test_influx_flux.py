"""Flux query building, annotated-CSV parsing and line protocol (pure functions).

The CSV files under tests/data/influx are InfluxDB 2 answers written by hand in the
server's annotated-CSV format and cross-checked with influxdb-client's parser
(test_influx_csv_crosscheck.py; see their README);
VictoriaMetrics, used by the integration tests, does not speak Flux.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin_service.store.base import BucketWidth, SamplePoint, StoredValue
from twin_service.store.influx_flux import (
    FluxQueryError,
    flux_duration,
    flux_string,
    flux_time,
    history_means_query,
    history_points,
    history_query,
    latest_query,
    latest_rows,
    parse_annotated_csv,
    parse_rfc3339_ns,
    window_points,
)
from twin_service.store.influx_lines import (
    escape_tag,
    ns_to_ts,
    point_line,
    request_bodies,
    ts_to_ns,
)

DATA = Path(__file__).parents[1] / "data" / "influx"
BASE = 1_764_060_000  # 2025-11-25T08:40:00Z


def answer(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_flux_strings_are_escaped() -> None:
    assert flux_string("hr") == '"hr"'
    assert flux_string('a"b\\c') == '"a\\"b\\\\c"'
    assert flux_string("x${now()}") == '"x\\${now()}"'
    assert flux_string("two\nlines\t") == '"two\\nlines\\t"'
    with pytest.raises(ValueError, match="control character"):
        flux_string("bell\x07")


def test_an_injection_attempt_stays_inside_its_string_literal() -> None:
    evil = 'hr" or r.lab != "'
    query = history_query("b", "a", "k1", evil, 0, 10, 5)
    assert 'r.sensor == "hr\\" or r.lab != \\""' in query
    assert query.count(" or ") == 1  # only the quoted one; no real `or` was injected


def test_flux_times_have_nine_fraction_digits_and_are_clamped() -> None:
    assert flux_time(BASE * 10**9 + 125_000_000) == "2025-11-25T08:40:00.125000000Z"
    assert flux_time(-5) == "1970-01-01T00:00:00.000000000Z"
    assert flux_time(10**30) == "2200-01-01T00:00:00.000000000Z"


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("2025-11-25T08:40:00Z", BASE * 10**9),
        ("2025-11-25T08:40:00.5Z", BASE * 10**9 + 500_000_000),
        ("2025-11-25T08:40:00.000000001Z", BASE * 10**9 + 1),
        ("2025-11-25T09:40:00.25+01:00", BASE * 10**9 + 250_000_000),
        ("2025-11-25T06:10:00-02:30", BASE * 10**9),
    ],
)
def test_rfc3339_times_parse_to_nanoseconds(text: str, ns: int) -> None:
    assert parse_rfc3339_ns(text) == ns
    assert parse_rfc3339_ns(flux_time(ns)) == ns


def test_a_bad_time_is_a_query_error() -> None:
    with pytest.raises(FluxQueryError, match="RFC 3339"):
        parse_rfc3339_ns("yesterday")


def test_history_query_text() -> None:
    start, end = BASE * 10**9, (BASE + 10) * 10**9
    assert history_query("lab data", "a", "k1", "hr", start, end, 5) == (
        'from(bucket: "lab data")\n'
        "  |> range(start: 2025-11-25T08:40:00.000000000Z,"
        " stop: 2025-11-25T08:40:10.000000001Z)\n"
        '  |> filter(fn: (r) => r._measurement == "twin" and r._field == "value")\n'
        '  |> filter(fn: (r) => r.lab == "a" and r.kit == "k1" and r.sensor == "hr")\n'
        '  |> sort(columns: ["_time"], desc: true)\n'
        "  |> limit(n: 5)\n"
        '  |> keep(columns: ["_time", "_value"])\n'
    )


def test_latest_query_uses_last_over_all_time() -> None:
    query = latest_query("b")
    assert "|> last()" in query
    assert "range(start: 1970-01-01T00:00:00.000000000Z, stop: 2200-01-01" in query
    assert 'r._field == "value" or r._field == "received_at"' in query


def test_stored_history_answer_becomes_ascending_points() -> None:
    records = parse_annotated_csv(answer("history_hr.csv"))
    assert len(records) == 5
    assert records[0]["result"] == "_result"  # from the #default annotation
    assert records[0]["table"] == 0
    points = history_points(records, 5)
    assert [v for _, v in points] == [72.0, 73.0, 73.25, 74.0, 75.5]
    assert points[0][0] == BASE + 6.1
    assert points[1][0] == ns_to_ts((BASE + 7) * 10**9 + 1)
    assert points[-1][0] == ns_to_ts((BASE + 9) * 10**9 + 123_456_789)
    assert history_points(records, 2) == points[-2:]
    assert history_points(records, 0) == []


def test_stored_latest_answer_spans_tables_and_blocks() -> None:
    records = parse_annotated_csv(answer("latest.csv"))
    assert len(records) == 8
    assert sorted({r["table"] for r in records}) == list(range(8))  # type: ignore[type-var]
    assert records[-1]["_value"] == 42 and isinstance(records[-1]["_value"], int)
    rows = latest_rows(records)
    assert rows == [
        StoredValue("a", "k1", "hr", BASE + 9.9, 72.0, 1764060010.05),
        StoredValue("a", "k1", "spo2", BASE + 9.5, 97.5, 1764060010.06),
        StoredValue("a", "k2", "hr", BASE - 1, 64.0, 1764060000.2),
        StoredValue("b", "k1", "depth_mm", BASE + 1.25, 42.0, 1764060001.3),
    ]


def test_empty_answers_have_no_records() -> None:
    assert parse_annotated_csv(answer("empty.csv")) == []
    assert parse_annotated_csv("") == []
    assert history_points([], 10) == []
    assert latest_rows([]) == []


def test_an_error_table_raises_with_the_servers_message() -> None:
    with pytest.raises(FluxQueryError, match=r"type conflict: float != string"):
        parse_annotated_csv(answer("error_midstream.csv"))


def test_malformed_csv_is_a_query_error() -> None:
    head = "#datatype,string,long,dateTime:RFC3339,double\r\n,result,table,_time,_value\r\n"
    with pytest.raises(FluxQueryError, match="cells"):
        parse_annotated_csv(head + ",,0,2025-11-25T08:40:00Z\r\n")
    with pytest.raises(FluxQueryError, match="not double"):
        parse_annotated_csv(head + ",,0,2025-11-25T08:40:00Z,lots\r\n")


@given(st.floats(min_value=1.5e9, max_value=4e9, allow_nan=False))
def test_device_time_survives_the_nanosecond_round_trip(ts: float) -> None:
    assert ns_to_ts(ts_to_ns(ts)) == ts


def test_line_protocol_of_a_point() -> None:
    point = SamplePoint("a", "k1", "hr", BASE + 0.125, 72, 1764060000.25)
    assert point_line(point) == (
        "twin,kit=k1,lab=a,sensor=hr value=72.0,received_at=1764060000.25 1764060000125000000"
    )
    assert point_line(SamplePoint("a", "k1", "hr", BASE, math.nan, BASE)) is None
    assert point_line(SamplePoint("a", "k1", "h\nr", BASE, 1.0, BASE)) is None
    assert escape_tag("a b,c=d\\") == "a\\ b\\,c\\=d\\\\"
    with pytest.raises(ValueError, match="newline"):
        escape_tag("a\nb")


def test_request_bodies_hold_at_most_the_given_number_of_lines() -> None:
    bodies = request_bodies([f"l{i}" for i in range(7)], per_request=3)
    assert bodies == [b"l0\nl1\nl2", b"l3\nl4\nl5", b"l6"]
    assert request_bodies([]) == []


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (10 * 10**9, "10s"),
        (1_500_000_000, "1500ms"),
        (1_000_000, "1ms"),
        (86_400 * 10**9, "86400s"),
        (2_500, "2500ns"),
        (3_000, "3us"),
    ],
)
def test_flux_durations_use_the_largest_exact_unit(ns: int, text: str) -> None:
    assert flux_duration(ns) == text


def test_flux_durations_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        flux_duration(0)


def test_history_means_query_text() -> None:
    start, end = BASE * 10**9, (BASE + 60) * 10**9
    every = BucketWidth.from_seconds(10)
    assert history_means_query("lab data", "a", "k1", "hr", start, end, every.ns, 6) == (
        'from(bucket: "lab data")\n'
        "  |> range(start: 2025-11-25T08:40:00.000000000Z,"
        " stop: 2025-11-25T08:41:00.000000001Z)\n"
        '  |> filter(fn: (r) => r._measurement == "twin" and r._field == "value")\n'
        '  |> filter(fn: (r) => r.lab == "a" and r.kit == "k1" and r.sensor == "hr")\n'
        "  |> aggregateWindow(every: 10s, fn: mean, createEmpty: false,"
        ' timeSrc: "_start")\n'
        '  |> sort(columns: ["_time"], desc: true)\n'
        "  |> limit(n: 6)\n"
        '  |> keep(columns: ["_time", "_value"])\n'
    )
    fine = history_means_query("b", "a", "k1", "ppg", start, end, 1_000_000, 10)
    assert "aggregateWindow(every: 1ms, fn: mean, createEmpty: false" in fine


def test_history_means_query_escapes_its_strings() -> None:
    evil = 'hr" or r.lab != "'
    query = history_means_query("b", "a", "k1", evil, 0, 10, 10**9, 5)
    assert 'r.sensor == "hr\\" or r.lab != \\""' in query
    assert query.count(" or ") == 1


def test_stored_window_means_are_put_on_the_window_grid() -> None:
    records = parse_annotated_csv(answer("history_means_hr.csv"))
    every = BucketWidth.from_seconds(10).ns
    # The first window started at the range start (08:40:03.5): it is reported at 08:40:00.
    assert window_points(records, every, 3) == [
        (BASE + 0.0, 70.0),
        (BASE + 10.0, 72.25),
        (BASE + 20.0, 73.5),
    ]
    assert window_points(records, every, 2) == [(BASE + 10.0, 72.25), (BASE + 20.0, 73.5)]
    assert window_points(records, every, 0) == []
    assert window_points([], every, 5) == []
