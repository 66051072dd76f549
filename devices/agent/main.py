"""``accesstwin kit``: assemble the agent from its settings and config file, run it.

Config file: the settings' ``config`` (``--config`` / ``ACCESSTWIN_KIT_CONFIG``), else
``/etc/accesstwin/kit.toml`` (optional with ``--simulate``, which replaces the configured
sensors by simulators). Spool file: the settings' ``spool`` (``--spool`` /
``ACCESSTWIN_KIT_SPOOL``), else the config's ``spool_path``, else
``./accesstwin-kit-{lab}.{kit}.spool.db``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from devices.agent.actuators import Actuators
from devices.agent.agent import AgentOptions, KitAgent, SwitchFactory
from devices.agent.config import AgentConfig, ConfigError, load_config
from devices.agent.settings import KitSettings
from devices.agent.spool import Spool
from devices.drivers.base import Sensor

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path("/etc/accesstwin/kit.toml")


def _fail(message: str) -> int:
    print(f"accesstwin: {message}", file=sys.stderr)
    return 2


def resolve_config(path: str | None, simulate: str | None) -> AgentConfig:
    chosen = path
    if chosen is None:
        if simulate:
            return AgentConfig()
        if not DEFAULT_CONFIG.exists():
            raise ConfigError(
                "no kit config: pass --config, set ACCESSTWIN_KIT_CONFIG "
                f"or create {DEFAULT_CONFIG}"
            )
        chosen = str(DEFAULT_CONFIG)
    try:
        return load_config(chosen)
    except ConfigError as exc:
        raise ConfigError(f"kit config {chosen}: {exc}") from None


def _switch_factory(config: AgentConfig) -> SwitchFactory | None:
    if not config.switch_pins:
        return None
    from devices.drivers.switches import SwitchBank

    pins: dict[Any, int] = dict(config.switch_pins)
    bounce_s = config.bounce_ms / 1000.0 if config.bounce_ms > 0 else None
    return functools.partial(_make_switches, pins, bounce_s, SwitchBank)


def _make_switches(
    pins: Any, bounce_s: float | None, bank: Any, emit: Any, seq: Any, dispatch: Any
) -> Any:
    return bank(pins, emit, seq, bounce_s=bounce_s, dispatch=dispatch)


def run_kit(settings: KitSettings) -> int:
    """Run the agent until SIGINT/SIGTERM; the process exit code."""
    kit, simulate, seed = settings.ref, settings.simulate, settings.seed
    try:
        config = resolve_config(settings.config, simulate)
    except ConfigError as exc:
        return _fail(str(exc))
    bus: Any = None
    switches: SwitchFactory | None = None
    sensors: list[Sensor]
    actuators: Actuators
    if simulate:
        from devices.agent.simulated import simulated_kit, simulated_switches

        sensors, actuators = simulated_kit(simulate, seed)  # type: ignore[arg-type]
        if simulate == "switch":
            switches = simulated_switches(seed)
    else:
        from devices.agent.hardware import hardware_kit

        if not config.sensors and not config.switch_pins:
            return _fail("kit config lists no sensors and no switches")
        try:
            sensors, actuators, bus = hardware_kit(config)
            switches = _switch_factory(config)
        except ImportError as exc:
            return _fail(f"{exc.name or exc}: install the 'pi' extra (smbus2, gpiozero)")
        except OSError as exc:
            return _fail(
                f"cannot open I2C bus {config.i2c_bus} ({exc}): enable I2C with "
                "raspi-config and check i2c_bus in the kit config"
            )
    path = settings.spool or config.spool_path or Path(f"accesstwin-kit-{kit.file_stem}.spool.db")
    try:
        spool = Spool(path, config.spool_max_messages)
    except (OSError, ValueError) as exc:
        return _fail(f"cannot open the spool {path}: {exc}")
    options = AgentOptions(
        chunk_samples=config.chunk_samples,
        max_inflight=config.max_inflight,
        reconnect_max_s=config.reconnect_max_s,
    )
    agent = KitAgent(
        kit,
        settings.topics,
        settings.broker,
        spool,
        sensors,
        actuators,
        options,
        switches=switches,
    )
    try:
        asyncio.run(_run(agent))
    finally:
        spool.close()
        if bus is not None:
            bus.close()
    print(
        f"kit {kit} stopped: {agent.produced_messages} telemetry messages produced, "
        f"{len(spool)} left in the spool"
    )
    return 0


async def _run(agent: KitAgent) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await agent.run(stop)
