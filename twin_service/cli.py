"""The ``accesstwin`` command line: demo, serve, kit."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from twin_service.auth.tokens import new_token
from twin_service.errors import SettingsError
from twin_service.settings import Settings, load_settings


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

    kit = commands.add_parser("kit", help="the kit agent: real sensors, or a simulator")
    _add_common(kit)
    kit.add_argument("--lab", required=True)
    kit.add_argument("--kit", required=True)
    kit.add_argument(
        "--simulate",
        choices=["vitals", "cpr", "mixed", "switch"],
        help="simulated sensors instead of the configured I2C/GPIO hardware",
    )
    kit.add_argument("--seed", type=int, default=0, help="simulator seed")
    kit.add_argument(
        "--config",
        help="kit config TOML (ACCESSTWIN_KIT_CONFIG; default /etc/accesstwin/kit.toml)",
    )
    kit.add_argument("--spool", help="on-disk outbox SQLite file (ACCESSTWIN_KIT_SPOOL)")

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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(args, "log_level", "warning").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "demo":
            settings = load_settings(
                overrides=_overrides(args),
                store="sqlite:///./accesstwin-demo.db",
                api_token=new_token(),
                mqtt_client_id="accesstwin-demo-gateway",
            )
            from twin_service.demo.run import run_demo

            asyncio.run(run_demo(settings, args.kits))
        elif args.command == "serve":
            settings = load_settings(overrides=_overrides(args))
            asyncio.run(_serve(settings))
        elif args.command == "kit":
            return _kit(args)
        elif args.command == "bench":
            return _bench(args)
    except SettingsError as exc:
        print(f"accesstwin: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


async def _serve(settings: Settings) -> None:
    from twin_service.app import create_app
    from twin_service.ops.server import install_stop_signals, make_server

    server = make_server(create_app(settings), settings.http_host, settings.http_port)

    def stop() -> None:
        server.should_exit = True

    install_stop_signals(stop)
    await server.serve()


def _bench(args: argparse.Namespace) -> int:
    try:
        from benchmarks.cli import run_bench
    except ImportError:
        print(
            "accesstwin: the benchmarks are not installed with the package;"
            " run `accesstwin bench` from a source checkout (benchmarks/)",
            file=sys.stderr,
        )
        return 2
    return run_bench(args)


def _kit(args: argparse.Namespace) -> int:
    from gateway.identifiers import InvalidIdentifierError, KitRef

    try:
        kit = KitRef(args.lab, args.kit)
    except InvalidIdentifierError as exc:
        print(f"accesstwin: {exc}", file=sys.stderr)
        return 2
    # The kit agent keeps no store: do not let ACCESSTWIN_STORE stop it from starting.
    overrides = {**_overrides(args), "store": "memory://"}
    settings = load_settings(overrides=overrides, insecure_no_auth=True)
    from devices.agent.main import run_kit

    return run_kit(
        kit,
        settings.broker,
        settings.topics,
        simulate=args.simulate,
        seed=args.seed,
        config_path=args.config,
        spool_path=args.spool,
    )


if __name__ == "__main__":
    sys.exit(main())
