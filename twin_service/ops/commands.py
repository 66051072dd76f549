"""The server's commands, ``accesstwin demo`` and ``accesstwin serve``, from parsed flags.

Imported by the ``accesstwin`` dispatcher (``twin_service.cli``) only for these two
commands, once it has checked that the ``server`` extra is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping

from twin_service.auth.tokens import new_token
from twin_service.errors import SettingsError
from twin_service.records.errors import RecordsUnavailableError
from twin_service.settings import Settings, load_settings


def run_server_command(args: argparse.Namespace, overrides: Mapping[str, object | None]) -> int:
    """Run ``demo`` or ``serve`` until stopped; the process exit code."""
    try:
        if args.command == "demo":
            settings = load_settings(
                overrides=overrides,
                store="sqlite:///./accesstwin-demo.db",
                api_token=new_token(),
                mqtt_client_id="accesstwin-demo-gateway",
            )
            from twin_service.demo.run import run_demo

            asyncio.run(run_demo(settings, args.kits))
        else:
            asyncio.run(_serve(load_settings(overrides=overrides)))
    except SettingsError as exc:
        print(f"accesstwin: {exc}", file=sys.stderr)
        return 2
    except RecordsUnavailableError as exc:
        print(f"accesstwin: ACCESSTWIN_RECORDS: {exc}", file=sys.stderr)
        return 2
    return 0


async def _serve(settings: Settings) -> None:
    from twin_service.app import create_app
    from twin_service.ops.server import install_stop_signals, make_server

    app = create_app(settings)
    # The records database must answer (and be migrated) before anything starts: if it
    # cannot, RecordsUnavailableError ends the command with one line and exit code 2.
    await app.state.runtime.records.open()
    server = make_server(
        app, settings.http_host, settings.http_port, ws_deflate=settings.ws_deflate
    )

    def stop() -> None:
        server.should_exit = True

    install_stop_signals(stop)
    await server.serve()
