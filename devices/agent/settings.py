"""The kit agent's own settings: ``accesstwin kit`` flags over the ``ACCESSTWIN_*`` environment.

| setting | flag | environment | default |
|---|---|---|---|
| broker | ``--mqtt-url`` | ``ACCESSTWIN_MQTT_URL`` | ``mqtt://127.0.0.1:1883`` |
| topic prefix | ``--mqtt-prefix`` | ``ACCESSTWIN_MQTT_PREFIX`` | ``accesstwin/v1`` |
| lab, kit | ``--lab``, ``--kit`` | (required flags) | |
| simulator | ``--simulate`` | | none: the configured hardware |
| simulator seed | ``--seed`` | | 0 |
| kit config | ``--config`` | ``ACCESSTWIN_KIT_CONFIG`` | ``/etc/accesstwin/kit.toml`` |
| spool file | ``--spool`` | ``ACCESSTWIN_KIT_SPOOL`` | the config's ``spool_path``, else |
| | | | ``./accesstwin-kit-{lab}-{kit}.spool.db`` |
| log level | ``--log-level`` | | ``info`` |

The broker URL follows the service's rules (``gateway.mqtt_url``: ``user:pass@``,
``mqtts://`` with ``?ca=``). Nothing else is read, so a kit is never stopped by a server
setting it does not use (``ACCESSTWIN_STORE``, ``ACCESSTWIN_API_TOKEN``…). A bad value
raises ``KitSettingsError`` with one line naming the setting. Nothing runs at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from accesstwin_contract.identifiers import InvalidIdentifierError, KitRef
from accesstwin_contract.topics import TopicScheme
from devices.agent.simulated import PROFILES
from gateway.mqtt_url import BrokerAddress, parse_broker_url

ENV_PREFIX = "ACCESSTWIN_"
DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883"
SIMULATORS = PROFILES
LOG_LEVELS = ("debug", "info", "warning", "error")
# Environment variable (after ENV_PREFIX) → field, for the settings the environment may give.
KIT_ENVIRONMENT = {
    "MQTT_URL": "mqtt_url",
    "MQTT_PREFIX": "mqtt_prefix",
    "KIT_CONFIG": "config",
    "KIT_SPOOL": "spool",
}


class KitSettingsError(ValueError):
    """A kit setting is malformed; the message names it."""


@dataclass(frozen=True, slots=True)
class KitSettings:
    lab: str
    kit: str
    mqtt_url: str = DEFAULT_MQTT_URL
    mqtt_prefix: str = TopicScheme().prefix
    simulate: str | None = None
    seed: int = 0
    config: str | None = None
    spool: str | None = None
    log_level: str = "info"
    ref: KitRef = field(init=False)
    broker: BrokerAddress = field(init=False)
    topics: TopicScheme = field(init=False)

    def __post_init__(self) -> None:
        try:
            ref = KitRef(self.lab, self.kit)
        except InvalidIdentifierError as exc:
            raise KitSettingsError(str(exc)) from None
        object.__setattr__(self, "ref", ref)
        try:
            broker = parse_broker_url(self.mqtt_url)
        except ValueError as exc:
            raise KitSettingsError(f"{ENV_PREFIX}MQTT_URL: {exc}") from None
        object.__setattr__(self, "broker", broker)
        try:
            topics = TopicScheme(self.mqtt_prefix)
        except ValueError as exc:
            raise KitSettingsError(f"{ENV_PREFIX}MQTT_PREFIX: {exc}") from None
        object.__setattr__(self, "topics", topics)
        if self.simulate is not None and self.simulate not in SIMULATORS:
            raise KitSettingsError(
                f"--simulate: must be one of {', '.join(SIMULATORS)}, got {self.simulate!r}"
            )
        if self.log_level not in LOG_LEVELS:
            raise KitSettingsError(
                f"--log-level: must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}"
            )
        for name in ("config", "spool"):
            if getattr(self, name) == "":
                raise KitSettingsError(f"--{name}: must not be empty")


def load_kit_settings(
    flags: Mapping[str, object | None], environ: Mapping[str, str] | None = None
) -> KitSettings:
    """Build the settings: ``flags`` (None = not given) > environment > built-in defaults."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for name, key in KIT_ENVIRONMENT.items():
        raw = env.get(ENV_PREFIX + name)
        if raw:
            values[key] = raw
    values.update((key, value) for key, value in flags.items() if value is not None)
    for required in ("lab", "kit"):
        if required not in values:
            raise KitSettingsError(f"--{required}: required")
    return KitSettings(**values)  # type: ignore[arg-type]
