"""Our annotated-CSV parser against influxdb-client's own (``FluxCsvParser``).

Every CSV file under tests/data/influx is parsed by both; they must give the same
records (same columns in the same order, same values of the same types, same times)
or both report the same query error. The test data is hand-written (see its README);
this check ties our reading of it to the reading of the official client, which is what
the client would return for the same bytes from a real server.

influxdb-client's default date helper keeps microseconds (``datetime``); with pandas
(present through neurokit2 in the test extras) its ``PandasDateTimeHelper`` keeps
nanoseconds, and the times are compared exactly.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from influxdb_client.client.flux_csv_parser import (
    FluxCsvParser,
    FluxQueryException,
    FluxSerializationMode,
)
from influxdb_client.client.util import date_utils

from twin_service.store.influx_flux import FluxQueryError, FluxRecord, parse_annotated_csv

DATA = Path(__file__).parents[1] / "data" / "influx"
FILES = sorted(p.name for p in DATA.glob("*.csv"))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def client_tables(body: bytes) -> list[tuple[list[str], list[dict[str, object]]]]:
    """(datatypes, records) per table, as influxdb-client's QueryApi.query() builds them."""
    parser = FluxCsvParser(io.BytesIO(body), FluxSerializationMode.tables)
    for _ in parser.generator():  # tables mode yields nothing; it fills parser.tables
        pass
    return [
        ([c.data_type for c in table.columns], [dict(r.values) for r in table.records])
        for table in parser.table_list()
    ]


def differences(
    ours: list[FluxRecord],
    theirs: list[tuple[list[str], list[dict[str, object]]]],
    exact_ns: bool,
) -> list[str]:
    """Every way our records differ from the client's (empty: they agree)."""
    flat = [(types, record) for types, records in theirs for record in records]
    found = []
    if len(ours) != len(flat):
        found.append(f"{len(ours)} records, client has {len(flat)}")
    for i, (mine, (types, other)) in enumerate(zip(ours, flat, strict=False)):
        if list(mine) != list(other):
            found.append(f"record {i}: columns {list(mine)} != {list(other)}")
            continue
        for (name, value), datatype in zip(mine.items(), types, strict=True):
            expected = other[name]
            if datatype.startswith("dateTime") and expected is not None:
                if exact_ns:
                    got_ns = getattr(expected, "value", None)  # pandas.Timestamp: ns
                    ok = isinstance(got_ns, int) and value == got_ns
                else:
                    assert isinstance(expected, datetime)
                    micros = (expected - EPOCH) // timedelta(microseconds=1)
                    ok = isinstance(value, int) and value // 1_000 == micros
            else:
                ok = value == expected and type(value) is type(expected)
            if not ok:
                found.append(f"record {i} column {name}: {value!r} != client's {expected!r}")
    return found


def compare_file(name: str, exact_ns: bool) -> list[str]:
    body = (DATA / name).read_bytes()
    client_error: FluxQueryException | None = None
    try:
        theirs = client_tables(body)
    except FluxQueryException as exc:
        client_error = exc
    if client_error is None:
        return differences(parse_annotated_csv(body.decode("utf-8")), theirs, exact_ns)
    with pytest.raises(FluxQueryError) as ours_error:
        parse_annotated_csv(body.decode("utf-8"))
    return [] if client_error.message in str(ours_error.value) else [str(ours_error.value)]


def test_every_data_file_is_covered() -> None:
    assert {"history_hr.csv", "history_means_hr.csv", "latest.csv", "empty.csv"} <= set(FILES)
    assert "error_midstream.csv" in FILES


@pytest.mark.parametrize("name", FILES)
def test_our_parser_agrees_with_influxdb_client(name: str) -> None:
    assert compare_file(name, exact_ns=False) == []


@pytest.mark.parametrize("name", FILES)
def test_times_agree_to_the_nanosecond(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas")
    from influxdb_client.client.util.date_utils_pandas import PandasDateTimeHelper

    monkeypatch.setattr(date_utils, "date_helper", PandasDateTimeHelper())
    assert compare_file(name, exact_ns=True) == []


def test_the_client_reads_errors_and_values_as_we_expect() -> None:
    """The comparison is not vacuous: the client really finds the rows and the error."""
    tables = client_tables((DATA / "latest.csv").read_bytes())
    assert [len(records) for _, records in tables] == [1] * 8
    assert tables[-1][1][0]["_value"] == 42
    with pytest.raises(FluxQueryException, match="type conflict"):
        client_tables((DATA / "error_midstream.csv").read_bytes())


def test_a_planted_difference_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    body = (DATA / "latest.csv").read_bytes()
    theirs = client_tables(body)
    ours = parse_annotated_csv(body.decode("utf-8"))
    assert differences(ours, theirs, exact_ns=False) == []
    wrong_value = [dict(r) for r in ours]
    wrong_value[-1]["_value"] = 42.0  # a long read as a double
    assert differences(wrong_value, theirs, exact_ns=False) == [
        "record 7 column _value: 42.0 != client's 42"
    ]
    assert differences(ours[:-1], theirs, exact_ns=False) == ["7 records, client has 8"]
    pytest.importorskip("pandas")
    from influxdb_client.client.util.date_utils_pandas import PandasDateTimeHelper

    monkeypatch.setattr(date_utils, "date_helper", PandasDateTimeHelper())
    history = (DATA / "history_hr.csv").read_bytes()
    exact = client_tables(history)
    off_by_one_ns = [dict(r) for r in parse_annotated_csv(history.decode("utf-8"))]
    time_ns = off_by_one_ns[3]["_time"]
    assert isinstance(time_ns, int)
    off_by_one_ns[3]["_time"] = time_ns - 1  # 08:40:07.000000001 → 08:40:07
    assert len(differences(off_by_one_ns, exact, exact_ns=True)) == 1
