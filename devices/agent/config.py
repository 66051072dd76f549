"""The kit agent's config file (TOML, read with the standard library's ``tomllib``).

```toml
spool_path = "/var/lib/accesstwin-kit/spool.db"   # on-disk outbox and seq counters
spool_max_messages = 100000   # bound; when full the oldest are dropped and counted
chunk_samples = 10            # waveform samples per telemetry message (0.2 s at 50 Hz)
max_inflight = 100            # unacknowledged QoS 1 messages at a time
reconnect_max_s = 10          # longest wait between reconnection attempts
i2c_bus = 1                   # /dev/i2c-1 on a Raspberry Pi

[sensors.ppg]                 # the table name is the contract sensor name
driver = "max30102"
address = 0x57
sample_rate_hz = 50
led_current_ma = 7.0
red_name = "ppg_red"          # optional: also publish the red channel

[sensors.depth_mm]
driver = "vl6180x"
address = 0x29
sample_rate_hz = 50
rest_distance_mm = 120        # optional: measured at start-up when left out
calibration_samples = 25

[sensors.temp_c]
driver = "mcp9808"
address = 0x18
interval_s = 1.0

[switches]                    # BCM pin numbers; switch to ground (internal pull-up)
select = 17
next = 27
bounce_ms = 50

[actuators]
led_pin = 22
buzzer_pin = 23
```

Unknown keys are errors (a typo must not silently drop a sensor). Pure: ``parse_config``
takes the parsed document; ``load_config`` reads the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from devices.agent.batching import MAX_CHUNK_SAMPLES
from gateway.sensors import sensor_name_error

DRIVERS: Final = ("max30102", "vl6180x", "mcp9808")
_DRIVER_KEYS: Final[dict[str, dict[str, type | tuple[type, ...]]]] = {
    "max30102": {
        "address": int,
        "sample_rate_hz": (int, float),
        "led_current_ma": (int, float),
        "red_name": str,
    },
    "vl6180x": {
        "address": int,
        "sample_rate_hz": (int, float),
        "rest_distance_mm": (int, float),
        "calibration_samples": int,
    },
    "mcp9808": {"address": int, "interval_s": (int, float)},
}
_TOP_KEYS: Final[dict[str, type | tuple[type, ...]]] = {
    "spool_path": str,
    "spool_max_messages": int,
    "chunk_samples": int,
    "max_inflight": int,
    "reconnect_max_s": (int, float),
    "i2c_bus": int,
}


class ConfigError(ValueError):
    """The config file is unreadable or a value in it is wrong; the message names the key."""


@dataclass(frozen=True, slots=True)
class SensorConfig:
    name: str
    driver: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgentConfig:
    spool_path: Path | None = None
    spool_max_messages: int = 100_000
    chunk_samples: int = 10
    max_inflight: int = 100
    reconnect_max_s: float = 10.0
    i2c_bus: int = 1
    sensors: tuple[SensorConfig, ...] = ()
    switch_pins: dict[str, int] = field(default_factory=dict)
    bounce_ms: float = 50.0
    led_pin: int | None = None
    buzzer_pin: int | None = None


def _typed(where: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{where}: must be {names}, not {type(value).__name__}")
    return value


def _positive(where: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{where}: must be positive")


def _sensor(name: str, table: Any) -> SensorConfig:
    where = f"sensors.{name}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    if sensor_name_error(name):
        raise ConfigError(f"{where}: {sensor_name_error(name)}")
    driver = table.get("driver")
    if driver not in DRIVERS:
        raise ConfigError(f"{where}.driver: must be one of {', '.join(DRIVERS)}")
    options: dict[str, Any] = {}
    for key, value in table.items():
        if key == "driver":
            continue
        kind = _DRIVER_KEYS[driver].get(key)
        if kind is None:
            raise ConfigError(f"{where}.{key}: unknown key for driver {driver}")
        options[key] = _typed(f"{where}.{key}", value, kind)
        if key == "address" and not 0x03 <= value <= 0x77:
            raise ConfigError(f"{where}.address: 0x{value:02X} is not a 7-bit I²C address")
        if key in ("sample_rate_hz", "interval_s", "calibration_samples"):
            _positive(f"{where}.{key}", value)
    return SensorConfig(name, driver, options)


def _pins(section: str, table: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{section}: must be a table")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in allowed:
            raise ConfigError(f"{section}.{key}: unknown key (allowed: {', '.join(allowed)})")
        kind: type | tuple[type, ...] = (int, float) if key == "bounce_ms" else int
        out[key] = _typed(f"{section}.{key}", value, kind)
        if key != "bounce_ms" and not 0 <= value <= 27:
            raise ConfigError(f"{section}.{key}: GPIO {value} is not a BCM pin 0..27")
    return out


def parse_config(document: dict[str, Any]) -> AgentConfig:
    """Check a parsed TOML document and build the ``AgentConfig``."""
    top: dict[str, Any] = {}
    for key, value in document.items():
        if key in ("sensors", "switches", "actuators"):
            continue
        kind = _TOP_KEYS.get(key)
        if kind is None:
            raise ConfigError(f"{key}: unknown key")
        top[key] = _typed(key, value, kind)
    for key in ("spool_max_messages", "max_inflight", "reconnect_max_s"):
        if key in top:
            _positive(key, top[key])
    if top.get("max_inflight", 1) > 1_000:  # paho queues beyond the gateway client's 1000
        raise ConfigError("max_inflight: must be 1..1000")
    if not 1 <= top.get("chunk_samples", 10) <= MAX_CHUNK_SAMPLES:
        raise ConfigError(f"chunk_samples: must be 1..{MAX_CHUNK_SAMPLES}")
    sensors_table = document.get("sensors", {})
    if not isinstance(sensors_table, dict):
        raise ConfigError("sensors: must be a table of tables")
    sensors = tuple(_sensor(name, table) for name, table in sensors_table.items())
    switches = _pins("switches", document.get("switches", {}), ("select", "next", "bounce_ms"))
    actuators = _pins("actuators", document.get("actuators", {}), ("led_pin", "buzzer_pin"))
    bounce_ms = float(switches.pop("bounce_ms", 50.0))
    if "spool_path" in top:
        top["spool_path"] = Path(top["spool_path"])
    return AgentConfig(
        **top,
        sensors=sensors,
        switch_pins=switches,
        bounce_ms=bounce_ms,
        led_pin=actuators.get("led_pin"),
        buzzer_pin=actuators.get("buzzer_pin"),
    )


def load_config(path: str | Path) -> AgentConfig:
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}") from None
    return parse_config(document)
