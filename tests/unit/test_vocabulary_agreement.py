"""Gateway, accessibility, twin_service, devices and the dashboard agree with the one
vocabulary (accesstwin_contract.quantities): none re-lists sensors, derived names or
units, and each behaves by the table."""

from __future__ import annotations

import ast
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import accesstwin_contract.identifiers as contract_identifiers
import accesstwin_contract.quantities as quantities
import accesstwin_contract.topics as contract_topics
import gateway.identifiers
import gateway.sensors
import gateway.topics
from accessibility.derived import DerivedSignals
from accessibility.scenario import KNOWN_VALUES
from accesstwin_contract.quantities import DERIVED, KNOWN_NAMES, SENSORS, vocabulary_document
from devices.simulation import CprLearner, PpgSynth
from devices.simulation.vitals import NAMES as SIMULATED_VITALS
from gateway.telemetry import Dropped, Reading, Waveform, check_reading, check_waveform
from tests.support.app import app_client

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("gateway", "accessibility", "twin_service", "devices", "benchmarks")
STATIC = ROOT / "twin_service" / "static"
TOKEN = "vocabulary-agreement-token"
# Name lists that are not the vocabulary but a choice made from it, each checked below.
ALLOWED_LISTS = {
    "devices/simulation/vitals.py": "the vitals this simulator models",
    "accessibility/news2.py": "the five parameters of the NEWS2 chart, with its bands",
    "accessibility/monitor.py": "the read-out vitals' words in each language (translations)",
}


def _relisted_names(tree: ast.AST) -> list[tuple[int, list[str]]]:
    """Literal collections of three or more known names (a tuple, list or set of them, or
    a mapping from them to strings such as units): a copy of the table."""
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            names = [e.value for e in node.elts if _is_known(e)]
        elif isinstance(node, ast.Dict) and all(
            isinstance(v, ast.Constant) and isinstance(v.value, str) for v in node.values
        ):
            names = [k.value for k in node.keys if k is not None and _is_known(k)]
        if len(names) >= 3:
            found.append((node.lineno, names))
    return found


def _is_known(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value in KNOWN_NAMES


def test_no_part_re_lists_the_sensors_or_derived_names() -> None:
    copies = []
    for part in PARTS:
        for path in sorted((ROOT / part).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if where in ALLOWED_LISTS:
                continue
            copies += [(where, *hit) for hit in _relisted_names(ast.parse(path.read_text()))]
    assert copies == [], "use accesstwin_contract.quantities instead"


def test_the_copy_detector_finds_the_old_hand_written_lists() -> None:
    old = (
        'KNOWN = frozenset(("hr", "spo2", "temp_c"))\n'
        'UNITS = {"hr_ppg": "bpm", "cpr_rate": "/min", "cpr_ccf": "%"}\n'
        'READINGS = {"hr": 72, "spo2": 97, "temp_c": 36.8}\n'  # a message, not a copy
    )
    assert sorted(names for _, names in _relisted_names(ast.parse(old))) == [
        ["hr", "spo2", "temp_c"],
        ["hr_ppg", "cpr_rate", "cpr_ccf"],
    ]


def test_the_gateway_names_are_the_vocabulary() -> None:
    assert gateway.sensors.SENSORS is quantities.SENSORS
    assert gateway.identifiers.KitRef is contract_identifiers.KitRef
    assert gateway.topics.TopicScheme is contract_topics.TopicScheme


@pytest.mark.parametrize("name", sorted(SENSORS))
def test_the_gateway_judges_each_sensor_by_its_row(name: str) -> None:
    spec = SENSORS[name]
    if spec.waveform:
        low_rate, high_rate = spec.rate_hz
        kept = check_waveform(name, {"rate_hz": high_rate, "samples": [spec.maximum]})
        assert isinstance(kept, Waveform) and kept.unit == spec.unit
        too_high = check_waveform(name, {"rate_hz": low_rate, "samples": [spec.maximum + 1]})
        too_slow = check_waveform(name, {"rate_hz": low_rate / 2, "samples": [spec.minimum]})
        assert isinstance(too_high, Dropped) and isinstance(too_slow, Dropped)
    else:
        reading = check_reading(name, spec.minimum)
        assert isinstance(reading, Reading) and reading.unit == spec.unit
        assert isinstance(check_reading(name, spec.maximum + 1), Dropped)
        assert isinstance(check_reading(name, spec.minimum - 1), Dropped)


def test_scenarios_know_exactly_the_vocabulary_names() -> None:
    assert KNOWN_VALUES == KNOWN_NAMES


def test_the_simulated_vitals_are_known_sensors() -> None:
    assert set(SIMULATED_VITALS) <= set(SENSORS)


def test_derived_values_carry_the_names_and_units_of_the_table() -> None:
    engine, cpr, ppg = DerivedSignals(), CprLearner(seed=3, drift=False), PpgSynth(seed=3)
    seen: dict[str, str] = {}
    for i in range(150):  # 30 s in 0.2 s chunks
        ts = 1_000.0 + i * 0.2
        for value in engine.add_chunk("depth_mm", ts, 50.0, cpr.chunk(ts, 10, 50.0).tolist()):
            seen[value.name] = value.unit
        for value in engine.add_chunk("ppg", ts, 50.0, ppg.chunk(ts, 10, 72.0).tolist()):
            seen[value.name] = value.unit
    assert {"hr_ppg", "cpr_rate", "cpr_depth_mm", "cpr_ccf"} <= set(seen)
    assert seen == {name: DERIVED[name].unit for name in seen}


@pytest.mark.parametrize("name", ["hr", "cpr_ccf", "hr_ppg", "not_listed"])
async def test_history_gives_the_unit_of_the_table(name: str) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with app_client(TOKEN, headers=headers) as (_, client):
        response = await client.get("/api/v1/twins/lab1/k1/history", params={"sensor": name})
    assert response.status_code == 200, response.text
    assert response.json()["unit"] == quantities.unit_of_value(name)


class _DataBlock(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "script" and ("id", "accesstwin-vocabulary") in attrs

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        self.inside = False


async def test_the_dashboard_page_carries_the_vocabulary() -> None:
    async with app_client(TOKEN) as (_, client):
        response = await client.get("/labs/lab1")
    assert response.status_code == 200
    block = _DataBlock()
    block.feed(response.text)
    assert json.loads(block.text) == vocabulary_document()
    assert "<!-- vocabulary -->" not in response.text


# A JS string literal (group 1), or a comment (skipped, so an apostrophe in one is no quote).
_JS_TOKEN = re.compile(
    r"""('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|//[^\n]*|/\*.*?\*/""", re.DOTALL
)


def js_strings(script: str) -> set[str]:
    return {m.group(1)[1:-1] for m in _JS_TOKEN.finditer(script) if m.group(1)}


def test_js_strings_skip_comments() -> None:
    assert js_strings("// the kit's value\nconst a = 'hr'; /* it's */ f(\"b\")") == {"hr", "b"}


def test_the_dashboard_scripts_list_no_sensor_unit_or_label_of_their_own() -> None:
    script = (STATIC / "dashboard.js").read_text("utf-8")
    literals = js_strings(script)
    # sbp and dbp are named to join them into one blood-pressure row.
    assert (literals & KNOWN_NAMES) <= {"sbp", "dbp"}
    assert not literals & {q.label for q in quantities.QUANTITIES}
    assert "accesstwin-vocabulary" in script


def test_the_dashboard_charts_use_the_units_of_their_sensors() -> None:
    chart = (STATIC / "dashboard-chart.js").read_text("utf-8")
    series = re.findall(r"unit: '([^']*)'.*?sensors: \[([^\]]*)\]", chart)
    assert series, "no chart series found"
    for unit, sensors in series:
        for name in re.findall(r"'([^']+)'", sensors):
            assert quantities.unit_of_value(name) == unit, (name, unit)


README = ROOT / "README.md"
TABLE_START = "<!-- sensors table: generated from accesstwin_contract/quantities.py -->"
TABLE_END = "<!-- end of sensors table -->"


def readme_tables() -> str:
    """The README's tables of sensors and derived values, as the vocabulary gives them."""
    lines = ["| sensor | unit | range |", "|---|---|---|"]
    for q in SENSORS.values():
        kind = f", waveform {q.rate_hz[0]:g}-{q.rate_hz[1]:g} Hz" if q.waveform else ""
        lines.append(f"| `{q.name}` | {q.unit or '(raw)'} | {q.minimum:g} to {q.maximum:g}{kind} |")
    lines += ["", "| derived value | unit | shown as |", "|---|---|---|"]
    lines += [f"| `{q.name}` | {q.unit} | {q.label} |" for q in DERIVED.values()]
    return "\n".join(lines)


def test_the_readme_tables_are_the_vocabulary() -> None:
    text = README.read_text("utf-8")
    assert TABLE_START in text and TABLE_END in text
    shown = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip()
    expected = readme_tables()
    assert shown == expected, f"README.md: put this between the markers:\n{expected}"
