"""What each install brings: the base and ``[pi]`` hold no server dependency, the kit's
code imports none, and ``demo``/``serve`` name the extra to install when one is missing.

``tests/integration/test_pi_install.py`` installs ``[pi]`` into a fresh venv for real.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from twin_service.cli import SERVER_MODULES, main

ROOT = Path(__file__).parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "setuptools"
]
INSTALLED_PACKAGES = [pattern.rstrip("*") for pattern in SETUPTOOLS["packages"]["find"]["include"]]
# Distributions whose import name is not their normalised name.
IMPORT_NAMES = {"pyyaml": "yaml", "paho-mqtt": "paho"}
# Imported by the server's dependencies (never by the kit) besides SERVER_MODULES.
SERVER_ONLY = {"starlette", "pydantic_core", "twin_service", "benchmarks"}


def distribution(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return match.group(0).lower().replace("_", "-")


def import_name(requirement: str) -> str:
    name = distribution(requirement)
    return IMPORT_NAMES.get(name, name.replace("-", "_").replace(".", "_"))


def test_the_server_extra_is_what_demo_and_serve_check_for() -> None:
    # A dependency with an environment marker (";") is not installed everywhere: not checked.
    required = [r for r in EXTRAS["server"] if ";" not in r]
    assert sorted(import_name(r) for r in required) == sorted(SERVER_MODULES), (
        "a dependency added to the server extra goes into twin_service/cli.py SERVER_MODULES"
    )


def test_a_kit_install_holds_no_server_dependency() -> None:
    server = {distribution(r) for r in EXTRAS["server"]}
    kit = {distribution(r) for r in [*PROJECT["dependencies"], *EXTRAS["pi"]]}
    assert kit == {"paho-mqtt", "numpy", "smbus2", "gpiozero"}
    assert not kit & server


def _modules_loaded(code: str) -> set[str]:
    """The top-level modules loaded after running ``code`` in a fresh interpreter."""
    report = "import json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    script = f"{code}\n{report}"
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_no_module_of_the_kit_imports_the_server_side() -> None:
    loaded = _modules_loaded(
        "import importlib, pkgutil, devices\n"
        "for m in pkgutil.walk_packages(devices.__path__, 'devices.'):\n"
        "    importlib.import_module(m.name)"
    )
    assert {"devices", "gateway", "paho", "numpy"} <= loaded
    assert loaded & (set(SERVER_MODULES) | SERVER_ONLY) == set()


def test_the_accesstwin_command_line_loads_no_server_module_to_start_a_kit() -> None:
    loaded = _modules_loaded(
        "import devices.agent.main, twin_service.cli\n"
        "twin_service.cli.build_parser().parse_args(['kit', '--lab', 'l', '--kit', 'k'])"
    )
    assert loaded & (set(SERVER_MODULES) | {"starlette", "pydantic_core"}) == set()


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_demo_and_serve_without_the_server_extra_say_which_extra_to_install(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("twin_service.cli.SERVER_MODULES", ("fastapi", "no_such_module_x"))
    assert main([command]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        f"accesstwin: `accesstwin {command}` needs the server's dependencies"
        " (no_such_module_x not installed): pip install 'accesstwin[server]'"
        " (in a checkout: pip install '.[server]')"
    )


def _third_party_imports(package: str) -> set[str]:
    """Top-level names of the modules ``package`` imports that are neither stdlib nor ours."""
    ours = {
        "accesstwin_contract",
        "gateway",
        "twin_service",
        "accessibility",
        "devices",
        "benchmarks",
    }
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - ours - set(sys.stdlib_module_names)


def test_every_import_of_the_installed_packages_is_covered_by_base_server_and_pi() -> None:
    provided = {import_name(r) for r in PROJECT["dependencies"]}
    provided |= {import_name(r) for extra in ("server", "pi") for r in EXTRAS[extra]}
    for package in INSTALLED_PACKAGES:
        missing = _third_party_imports(package) - provided
        assert missing == set(), f"{package}/ imports {missing}: add them to pyproject.toml"


def test_the_console_script_finds_the_benchmarks_of_its_checkout(tmp_path: Path) -> None:
    """README: `accesstwin bench` from a checkout. The venv's console script starts with
    its bin/ on sys.path, not the checkout; run from elsewhere it still lists them."""
    script = Path(sys.executable).with_name("accesstwin")
    if not script.is_file():
        pytest.fail(f"no console script beside {sys.executable}: run scripts/setup")
    out = subprocess.run(
        [str(script), "bench", "--help"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    for name in ("ingest", "latency", "fanout", "store", "memory"):
        assert re.search(rf"^\s+{name}\s", out, re.M), out
