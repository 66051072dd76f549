"""``accesstwin kit``: its flags (``add_kit_parser``) and its run (``run_kit_command``).

Needs only what a kit installs (``pip install 'accesstwin[pi]'``: paho-mqtt, numpy, and
smbus2/gpiozero for the hardware): nothing here or below imports the twin service. The
``accesstwin`` dispatcher (``twin_service.cli``) calls these two functions.
"""

from __future__ import annotations

import argparse
import sys


def add_kit_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``kit`` subcommand to the ``accesstwin`` parser."""
    from devices.agent.settings import LOG_LEVELS, SIMULATORS

    kit = commands.add_parser("kit", help="the kit agent: real sensors, or a simulator")
    kit.add_argument("--mqtt-url", help="broker URL (ACCESSTWIN_MQTT_URL)")
    kit.add_argument("--mqtt-prefix", help="topic prefix (ACCESSTWIN_MQTT_PREFIX)")
    kit.add_argument("--log-level", default="info", choices=LOG_LEVELS)
    kit.add_argument("--lab", required=True)
    kit.add_argument("--kit", required=True)
    kit.add_argument(
        "--simulate",
        choices=SIMULATORS,
        help="simulated sensors instead of the configured I2C/GPIO hardware",
    )
    kit.add_argument("--seed", type=int, default=0, help="simulator seed")
    kit.add_argument(
        "--config",
        help="kit config TOML (ACCESSTWIN_KIT_CONFIG; default /etc/accesstwin/kit.toml)",
    )
    kit.add_argument("--spool", help="on-disk outbox SQLite file (ACCESSTWIN_KIT_SPOOL)")


def run_kit_command(args: argparse.Namespace) -> int:
    """Run the kit agent from parsed ``kit`` flags; the process exit code."""
    from devices.agent.main import run_kit
    from devices.agent.settings import KitSettingsError, load_kit_settings

    flags = {
        name: getattr(args, name)
        for name in (
            "lab",
            "kit",
            "mqtt_url",
            "mqtt_prefix",
            "simulate",
            "seed",
            "config",
            "spool",
            "log_level",
        )
    }
    try:
        settings = load_kit_settings(flags)
    except KitSettingsError as exc:
        print(f"accesstwin: {exc}", file=sys.stderr)
        return 2
    return run_kit(settings)
