"""Typed settings, read once at start-up from the environment or matching CLI flags.

A bad setting raises ``SettingsError`` with one line that names the variable; the CLI
prints that line and exits. Nothing here runs at import time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar
from urllib.parse import quote

from gateway.identifiers import is_identifier
from gateway.mqtt_url import BrokerAddress, parse_broker_url
from gateway.ratelimit import DEFAULT_BURST, DEFAULT_RATE_PER_S
from gateway.topics import TopicScheme
from twin_service.errors import SettingsError
from twin_service.ingest.partition import Partition, partition_client_id
from twin_service.records.url import check_records_url, default_records_url
from twin_service.speech.engine import candidates
from twin_service.store.factory import check_store_url

T = TypeVar("T")

ENV_PREFIX = "ACCESSTWIN_"
_PLACEHOLDER_TOKENS = {"changeme", "change-me", "secret", "token", "xxx", "password"}
MIN_TOKEN_LENGTH = 16
# all: ingest + API in one process; gateway: ingest, publishes twin state for replicas;
# api: REST, pages and websockets from the twin state the gateways publish.
ROLES = ("all", "gateway", "api")


@dataclass(frozen=True, slots=True)
class Settings:
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_prefix: str = "accesstwin/v1"
    mqtt_client_id: str = "accesstwin-gateway"
    store: str = "sqlite:///./accesstwin.db"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    api_token: str | None = None
    insecure_no_auth: bool = False
    stale_after_s: float = 10.0
    retention_days: float = 30.0
    max_twins: int = 10_000
    ws_queue_frames: int = 1_000
    ws_broadcast: bool = True  # batched lab sockets: frame once, write to every transport
    ws_deflate: bool = False  # batched lab sockets: permessage-deflate, each batch compressed once
    store_batch_max: int = 5_000
    store_max_pending: int = 200_000
    gc_young_threshold: int = 50_000  # 0: Python's own (700); see Runtime.start
    kit_rate_per_s: float = DEFAULT_RATE_PER_S
    kit_burst: int = int(DEFAULT_BURST)
    speech_cache_mb: int = 32
    speech_engine: str = "auto"  # auto | system | bundled (twin_service/speech/engine.py)
    max_sensors_per_kit: int = 128
    max_body_bytes: int = 1024 * 1024
    learner_token_grace_s: float = 3_600.0
    # Secrets kept out of URLs (and so out of argv, `ps` and logs): the broker password,
    # and the InfluxDB token of an ``influxdb://host…`` store URL written without one.
    mqtt_password: str | None = field(default=None, repr=False)
    influx_token: str | None = field(default=None, repr=False)
    role: str = "all"
    partition: str = "0/1"
    mqtt_share_group: str | None = None
    records: str = ""  # "": beside the history (records/url.py)
    records_max_pending: int = 100_000
    records_max_session_events: int = 20_000
    max_running_sessions: int = 1_000
    xapi_url: str | None = None
    xapi_auth: str | None = None
    public_url: str | None = None
    broker: BrokerAddress = field(init=False)
    topics: TopicScheme = field(init=False)
    owned: Partition = field(init=False)  # the share of the kits this gateway ingests

    def __post_init__(self) -> None:
        broker = _check("MQTT_URL", parse_broker_url, self.mqtt_url)
        if self.mqtt_password is not None:
            if broker.password is not None or broker.username is None:
                raise SettingsError(
                    f"{ENV_PREFIX}MQTT_PASSWORD: give the user in ACCESSTWIN_MQTT_URL"
                    " (mqtt[s]://USER@host) and the password only here"
                )
            broker = replace(broker, password=self.mqtt_password)
        object.__setattr__(self, "broker", broker)
        if self.influx_token is not None:
            object.__setattr__(self, "store", _with_influx_token(self.store, self.influx_token))
        object.__setattr__(self, "topics", _check("MQTT_PREFIX", TopicScheme, self.mqtt_prefix))
        if self.role not in ROLES:
            raise SettingsError(
                f"{ENV_PREFIX}ROLE: must be one of {', '.join(ROLES)}, got {self.role!r}"
            )
        object.__setattr__(self, "owned", _check("PARTITION", Partition.parse, self.partition))
        if self.mqtt_share_group is not None and not is_identifier(self.mqtt_share_group):
            raise SettingsError(
                f"{ENV_PREFIX}MQTT_SHARE_GROUP: must match [A-Za-z0-9_-]{{1,64}},"
                f" got {self.mqtt_share_group!r}"
            )
        _check("STORE", check_store_url, self.store)
        _check("SPEECH_ENGINE", candidates, self.speech_engine)
        if not self.records:
            object.__setattr__(self, "records", default_records_url(self.store))
        _check("RECORDS", check_records_url, self.records)
        _check_xapi(self.xapi_url, self.xapi_auth)
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise SettingsError(f"{ENV_PREFIX}PUBLIC_URL: must start with http:// or https://")
        if not 0 < self.http_port < 65536:
            raise SettingsError(f"{ENV_PREFIX}HTTP_PORT: must be 1-65535, got {self.http_port}")
        if self.api_token is not None:
            for token in self.api_tokens or [""]:
                _check_token(token)
        elif not self.insecure_no_auth:
            raise SettingsError(
                f"{ENV_PREFIX}API_TOKEN: not set; set a token or pass --insecure-no-auth"
            )
        if self.gc_young_threshold != 0 and not 700 <= self.gc_young_threshold <= 1_000_000:
            raise SettingsError(
                f"{ENV_PREFIX}GC_YOUNG_THRESHOLD: must be 0 (Python's own) or 700-1000000,"
                f" got {self.gc_young_threshold}"
            )
        if not self.learner_token_grace_s >= 0:
            raise SettingsError(f"{ENV_PREFIX}LEARNER_TOKEN_GRACE_S: must be 0 or more")
        for name in ("stale_after_s", "retention_days", "kit_rate_per_s"):
            if not getattr(self, name) > 0:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()}: must be positive")
        for name in (
            "max_twins",
            "ws_queue_frames",
            "store_batch_max",
            "store_max_pending",
            "kit_burst",
            "speech_cache_mb",
            "records_max_pending",
            "records_max_session_events",
            "max_running_sessions",
            "max_sensors_per_kit",
            "max_body_bytes",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()}: must be at least 1")

    @property
    def client_id(self) -> str:
        """The MQTT client id: the configured one, made distinct per partition and role."""
        if self.role == "api":
            return f"{self.mqtt_client_id}-api-{os.getpid()}"
        return partition_client_id(self.mqtt_client_id, self.owned)

    @property
    def records_owner(self) -> str:
        """Which service instance runs a session (its restart marks them interrupted)."""
        return f"{self.mqtt_client_id}/{self.role}/{self.partition}"

    @property
    def service_url(self) -> str:
        """The service's public URL (xAPI actor homePage): ACCESSTWIN_PUBLIC_URL, else
        built from the HTTP host and port."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.http_host in ("0.0.0.0", "::") else self.http_host  # noqa: S104
        return f"http://{host}:{self.http_port}"

    @property
    def xapi_credentials(self) -> tuple[str, str] | None:
        if not self.xapi_auth:
            return None
        user, _, password = self.xapi_auth.partition(":")
        return user, password

    @property
    def auth_enabled(self) -> bool:
        return self.api_token is not None

    @property
    def api_tokens(self) -> list[str]:
        """Instructor tokens: ``ACCESSTWIN_API_TOKEN`` may list several, comma-separated."""
        if self.api_token is None:
            return []
        return [t.strip() for t in self.api_token.split(",") if t.strip()]


def _check_xapi(url: str | None, auth: str | None) -> None:
    if url is not None and not url.startswith(("http://", "https://")):
        raise SettingsError(f"{ENV_PREFIX}XAPI_URL: must start with http:// or https://")
    if auth is not None and ":" not in auth:
        raise SettingsError(f"{ENV_PREFIX}XAPI_AUTH: must be user:password")
    if auth is not None and url is None:
        raise SettingsError(f"{ENV_PREFIX}XAPI_AUTH: set, but ACCESSTWIN_XAPI_URL is not")


def _with_influx_token(store: str, token: str) -> str:
    """The store URL with ``token`` put before its host (it must not carry one already)."""
    scheme, sep, rest = store.partition("://")
    if not sep or not scheme.startswith("influxdb") or "@" in rest.split("/", 1)[0]:
        raise SettingsError(
            f"{ENV_PREFIX}INFLUX_TOKEN: needs ACCESSTWIN_STORE=influxdb[s]://host:port/org/bucket"
            " without a token in it"
        )
    return f"{scheme}://{quote(token, safe='')}@{rest}"


def _check_token(token: str) -> None:
    if len(token) < MIN_TOKEN_LENGTH or token.lower() in _PLACEHOLDER_TOKENS:
        raise SettingsError(
            f"{ENV_PREFIX}API_TOKEN: each token must be at least {MIN_TOKEN_LENGTH} characters"
            " and not a placeholder (make one: python -c 'import secrets;"
            " print(secrets.token_urlsafe())')"
        )


def _check(name: str, parse: Callable[[str], T], value: str) -> T:
    try:
        return parse(value)
    except ValueError as exc:
        raise SettingsError(f"{ENV_PREFIX}{name}: {exc}") from exc


def _number(name: str, raw: str, kind: Callable[[str], T]) -> T:
    try:
        return kind(raw)
    except ValueError:
        raise SettingsError(f"{ENV_PREFIX}{name}: {raw!r} is not a valid {kind.__name__}") from None


def _flag(name: str, raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{ENV_PREFIX}{name}: {raw!r} is not true/false (or 1/0, yes/no, on/off)")


_FIELDS: dict[str, Callable[[str], object]] = {
    "MQTT_URL": str,
    "MQTT_PREFIX": str,
    "MQTT_CLIENT_ID": str,
    "STORE": str,
    "HTTP_HOST": str,
    "HTTP_PORT": int,
    "API_TOKEN": str,
    "STALE_AFTER_S": float,
    "RETENTION_DAYS": float,
    "MAX_TWINS": int,
    "WS_QUEUE_FRAMES": int,
    "WS_BROADCAST": bool,
    "WS_DEFLATE": bool,
    "STORE_BATCH_MAX": int,
    "STORE_MAX_PENDING": int,
    "GC_YOUNG_THRESHOLD": int,
    "KIT_RATE_PER_S": float,
    "KIT_BURST": int,
    "SPEECH_CACHE_MB": int,
    "SPEECH_ENGINE": str,
    "MAX_SENSORS_PER_KIT": int,
    "MAX_BODY_BYTES": int,
    "LEARNER_TOKEN_GRACE_S": float,
    "MQTT_PASSWORD": str,
    "INFLUX_TOKEN": str,
    "ROLE": str,
    "PARTITION": str,
    "MQTT_SHARE_GROUP": str,
    "RECORDS": str,
    "RECORDS_MAX_PENDING": int,
    "RECORDS_MAX_SESSION_EVENTS": int,
    "MAX_RUNNING_SESSIONS": int,
    "XAPI_URL": str,
    "XAPI_AUTH": str,
    "PUBLIC_URL": str,
}


def load_settings(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object | None] | None = None,
    **defaults: object,
) -> Settings:
    """Build settings: explicit overrides (CLI flags) > environment > ``defaults`` > built-in."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = dict(defaults)
    for name, kind in _FIELDS.items():
        raw = env.get(ENV_PREFIX + name)
        if raw is None or raw == "":
            continue
        if kind is bool:
            values[name.lower()] = _flag(name, raw)
        else:
            values[name.lower()] = raw if kind is str else _number(name, raw, kind)
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    return Settings(**values)  # type: ignore[arg-type]
