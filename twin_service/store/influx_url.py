"""``ACCESSTWIN_STORE=influxdb://TOKEN@HOST[:PORT]/ORG/BUCKET[?options]`` → ``InfluxTarget``.

``influxdbs://`` talks HTTPS. The port defaults to 8086. Characters of the token, org or
bucket that have a meaning in URLs (``/ @ : ? # %`` and spaces) must be percent-encoded.
Options (query string): ``spool=PATH`` (local SQLite spool and seq state, default
``./accesstwin-influx-spool.db``), ``spool_max_points=N`` (default 2,000,000; 0 turns
the spool off), ``spool_after_s=S`` (how long InfluxDB must be unreachable before
batches are spooled instead of refused, default 30), ``timeout_s=S`` (per request,
default 10). Error messages never repeat the token.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

SCHEMES = {"influxdb": "http", "influxdbs": "https"}
DEFAULT_PORT = 8086
DEFAULT_SPOOL = "./accesstwin-influx-spool.db"
_SHAPE = "must be influxdb://TOKEN@HOST[:PORT]/ORG/BUCKET (influxdbs:// for TLS)"


@dataclass(frozen=True, slots=True)
class InfluxTarget:
    """Where and how to write; ``repr`` leaves the token out."""

    http_url: str
    org: str
    bucket: str
    token: str = field(repr=False)
    spool_path: Path = Path(DEFAULT_SPOOL)
    spool_max_points: int = 2_000_000
    spool_after_s: float = 30.0
    timeout_s: float = 10.0

    def describe(self) -> str:
        return f"{self.http_url} org={self.org!r} bucket={self.bucket!r}"


def redact(url: str) -> str:
    """The URL with its token replaced by ``***`` (for messages and logs)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


def parse_influx_url(url: str) -> InfluxTarget:
    """Parse a store URL, or raise ValueError with one line saying what is wrong."""
    shown = redact(url)

    def bad(problem: str) -> ValueError:
        return ValueError(f"{_SHAPE}; {problem} in {shown!r}")

    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise bad("unknown scheme")
    if parts.fragment:
        raise bad("unexpected '#fragment'")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    token = unquote(userinfo)
    if not at or not token:
        raise bad("the API token (before '@') is missing")
    try:
        host_parts = urlsplit("//" + hostport)
        host, port = host_parts.hostname, host_parts.port or DEFAULT_PORT
    except ValueError:
        raise bad("the port is not a number from 1 to 65535") from None
    if not host:
        raise bad("the host is missing")
    segments = parts.path.split("/")[1:]
    if len(segments) != 2 or not all(segments):
        raise bad("the path must be exactly /ORG/BUCKET")
    org, bucket = (unquote(s) for s in segments)
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options = _options(parts.query, bad)
    return InfluxTarget(f"{SCHEMES[parts.scheme]}://{netloc}", org, bucket, token, **options)


def _options(query: str, bad: Callable[[str], ValueError]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in parse_qsl(query, keep_blank_values=True):
        if key == "spool":
            if not raw:
                raise bad("option spool= needs a file path")
            out["spool_path"] = Path(raw)
        elif key == "spool_max_points":
            out[key] = int(_number(key, raw, bad, integer=True))
        elif key in ("spool_after_s", "timeout_s"):
            out[key] = _number(key, raw, bad, integer=False)
        else:
            raise bad(
                f"unknown option {key!r} (known: spool, spool_max_points, spool_after_s, timeout_s)"
            )
    if out.get("timeout_s") == 0:
        raise bad("option timeout_s must be more than 0")
    return out


def _number(key: str, raw: str, bad: Callable[[str], ValueError], *, integer: bool) -> float:
    try:
        value = float(int(raw)) if integer else float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        kind = "a whole number" if integer else "a number"
        raise bad(f"option {key} must be {kind} ≥ 0, got {raw!r}")
    return value
