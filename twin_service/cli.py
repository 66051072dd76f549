"""The ``accesstwin`` command line: demo, serve, kit, bench, scenarios check.

A thin dispatcher that imports each command's side only when it runs: ``kit`` needs only
what a kit installs (``accesstwin[pi]``; see ``devices.cli``), ``demo`` and ``serve`` need
the ``server`` extra and say so in one line when it is missing, ``bench`` needs a source
checkout (``benchmarks/``).
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from devices.cli import add_kit_parser, run_kit_command

# The import names of the ``server`` extra's distributions (pyproject.toml, kept equal by
# tests/unit/test_packaging.py): ``demo``, ``serve`` and ``bench`` check them first.
SERVER_MODULES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "websockets",
    "pydantic",
    "msgspec",
    "prometheus_client",
    "amqtt",
    "pyttsx3",
    "yaml",
    "influxdb_client",
    "urllib3",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "httpx",
    "swagger_ui_bundle",
)
SERVER_INSTALL_HINT = "pip install 'accesstwin[server]' (in a checkout: pip install '.[server]')"


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mqtt-url", help="broker URL (ACCESSTWIN_MQTT_URL)")
    parser.add_argument("--mqtt-prefix", help="topic prefix (ACCESSTWIN_MQTT_PREFIX)")
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )


def _add_service(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", help="sqlite:///path or memory:// (ACCESSTWIN_STORE)")
    parser.add_argument("--http-host", help="ACCESSTWIN_HTTP_HOST")
    parser.add_argument("--http-port", type=int, help="ACCESSTWIN_HTTP_PORT")
    parser.add_argument("--mqtt-client-id", help="ACCESSTWIN_MQTT_CLIENT_ID (persistent session)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accesstwin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="broker + service + simulated kits, nothing to install")
    _add_common(demo)
    _add_service(demo)
    demo.add_argument("--kits", type=int, default=3, help="how many simulated kits (default 3)")

    serve = commands.add_parser("serve", help="gateway + twin service from settings")
    _add_common(serve)
    _add_service(serve)
    serve.add_argument(
        "--role",
        choices=["all", "gateway", "api"],
        help="all (default): ingest + API; gateway: ingest, publishes twin state for API"
        " replicas; api: REST, pages and websockets from that state (ACCESSTWIN_ROLE)",
    )
    serve.add_argument(
        "--partition",
        metavar="I/N",
        help="ingest only partition I of N of the kits, e.g. 0/2 (ACCESSTWIN_PARTITION)",
    )
    serve.add_argument(
        "--mqtt-share-group",
        metavar="GROUP",
        help="subscribe to telemetry and input as $share/GROUP/…; needs a broker that sends"
        " one topic to one member, e.g. EMQX hash_topic (ACCESSTWIN_MQTT_SHARE_GROUP)",
    )
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="run without an API token (only on a closed network)",
    )

    add_kit_parser(commands)
    from twin_service.ops.scenarios import add_scenarios_parser

    add_scenarios_parser(commands)

    _find_checkout_benchmarks()
    try:
        from benchmarks.cli import add_bench_parser
    except ImportError:  # an installed wheel: the benchmarks live in the checkout only
        commands.add_parser("bench", help="the benchmarks (run from a source checkout)")
    else:
        add_bench_parser(commands)
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, object | None]:
    names = (
        "mqtt_url",
        "mqtt_prefix",
        "store",
        "http_host",
        "http_port",
        "mqtt_client_id",
        "role",
        "partition",
        "mqtt_share_group",
    )
    out: dict[str, object | None] = {n: getattr(args, n, None) for n in names}
    if getattr(args, "insecure_no_auth", False):
        out["insecure_no_auth"] = True
    return out


def missing_server_modules() -> list[str]:
    """The ``server`` extra's modules that cannot be imported here."""
    return [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(args, "log_level", "warning").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "kit":
            return run_kit_command(args)
        if args.command == "bench":
            return _bench(args)
        if args.command == "scenarios":
            return _scenarios(args)
        return _server(args)
    except KeyboardInterrupt:
        return 130


def _server_missing(command: str) -> bool:
    """Say so in one line (and True) when the server extra is not installed."""
    missing = missing_server_modules()
    if missing:
        print(
            f"accesstwin: `accesstwin {command}` needs the server's dependencies"
            f" ({', '.join(missing)} not installed): {SERVER_INSTALL_HINT}",
            file=sys.stderr,
        )
    return bool(missing)


def _server(args: argparse.Namespace) -> int:
    if _server_missing(args.command):
        return 2
    from twin_service.ops.commands import run_server_command

    return run_server_command(args, _overrides(args))


def _scenarios(args: argparse.Namespace) -> int:
    if _server_missing(args.command):  # PyYAML reads the scenario files
        return 2
    from twin_service.ops.scenarios import run_scenarios_command

    return run_scenarios_command(args)


def _find_checkout_benchmarks() -> None:
    """Run from a checkout (an editable install), the console script's ``sys.path`` starts
    at the venv's bin/, not at the checkout: put the checkout holding ``benchmarks/`` on it."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "benchmarks" / "__init__.py").is_file() and str(checkout) not in sys.path:
        sys.path.append(str(checkout))


def _bench(args: argparse.Namespace) -> int:
    try:
        from benchmarks.cli import run_bench
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("benchmarks"):
            raise
        print(
            "accesstwin: the benchmarks are not installed with the package;"
            " run `accesstwin bench` from a source checkout (benchmarks/)",
            file=sys.stderr,
        )
        return 2
    if _server_missing("bench"):  # the benchmarks drive the server's code
        return 2
    return run_bench(args)


if __name__ == "__main__":
    sys.exit(main())
