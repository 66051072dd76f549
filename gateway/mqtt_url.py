"""Parsing of ``ACCESSTWIN_MQTT_URL``.

``mqtt://[user:pass@]host[:port]``, or ``mqtts://…`` for TLS (port 8883 by default),
which may name the CA that signed the broker's certificate: ``mqtts://…?ca=/path/ca.pem``
(otherwise the system's CAs are trusted). The certificate's host name is always checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None

    def __str__(self) -> str:
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}:***@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def _redacted(url: str) -> str:
    """The URL with any password replaced, for error messages."""
    head, sep, tail = url.rpartition("@")
    if not sep:
        return url
    scheme, _, userinfo = head.partition("://")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}" if ":" in userinfo else url


def parse_broker_url(url: str) -> BrokerAddress:
    """Parse a broker URL, or raise ValueError saying what is wrong with it (never the password)."""
    try:
        return _parse(url)
    except ValueError as exc:
        raise ValueError(str(exc).replace(url, _redacted(url))) from None


def _parse(url: str) -> BrokerAddress:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"must start with mqtt:// or mqtts://, got {url!r}")
    if not parts.hostname:
        raise ValueError(f"has no host: {url!r}")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError("must be mqtt[s]://[user:pass@]host[:port] with nothing after the port")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
    if set(query) - {"ca"} or any(len(v) != 1 for v in query.values()):
        raise ValueError("the only query parameter is ca=/path/to/ca.pem (with mqtts://)")
    ca_file = query["ca"][0] if "ca" in query else None
    if ca_file is not None and parts.scheme != "mqtts":
        raise ValueError("ca= needs mqtts://")
    if ca_file is not None and not Path(ca_file).is_file():
        raise ValueError(f"CA file {ca_file!r} does not exist")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"has a bad port: {exc}") from exc
    tls = parts.scheme == "mqtts"
    return BrokerAddress(
        host=parts.hostname,
        port=port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        ca_file=ca_file,
    )
