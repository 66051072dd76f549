"""The kit agent: reads the kit's sensors (or simulators), spools every outgoing message
on disk, publishes it over MQTT with QoS 1 and deletes it on PUBACK, replays the spool
oldest first after an outage, and applies desired state pushed by the twin service."""

from devices.agent.agent import AgentOptions, KitAgent
from devices.agent.config import AgentConfig, ConfigError, load_config, parse_config
from devices.agent.spool import Spool

__all__ = [
    "AgentConfig",
    "AgentOptions",
    "ConfigError",
    "KitAgent",
    "Spool",
    "load_config",
    "parse_config",
]
