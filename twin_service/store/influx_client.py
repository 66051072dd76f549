"""The few calls the InfluxDB store makes through ``influxdb-client``, with typed errors.

Writes use the client's SYNCHRONOUS write API: ``post_lines`` returns only after the
server answered 2xx (InfluxDB 2 answers 204 once the points are in its WAL). One call
is one attempt; retrying is the store's business. Bodies are gzip-compressed.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, cast

import urllib3
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException

from twin_service.store.influx_url import InfluxTarget

CONNECT_TIMEOUT_MS = 3_000


class InfluxUnavailableError(Exception):
    """No answer, or 5xx / 429 / 408: worth retrying later (``retry_after`` in s or None)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InfluxRejectedError(Exception):
    """A 4xx answer (bad token, unknown bucket, bad data): retrying the same will not help."""


def _classify(exc: Exception) -> Exception:
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        reason = _short_reason(exc)
        if status == 0 or status in (408, 429) or status >= 500:
            return InfluxUnavailableError(f"HTTP {status}: {reason}", _retry_after(exc))
        return InfluxRejectedError(f"HTTP {status}: {reason}")
    return InfluxUnavailableError(f"{type(exc).__name__}: {exc}")


def _short_reason(exc: ApiException) -> str:
    message = cast(Any, exc).message
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return text.strip().splitlines()[0][:300] if text.strip() else str(exc.reason)


def _retry_after(exc: ApiException) -> float | None:
    raw = cast(Any, exc).retry_after
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


class InfluxHttp:
    """One ``InfluxDBClient``; every method blocks (call them from a worker thread).

    It also tracks since when the server has been unreachable (``down_for``): the first
    of an unbroken run of failed requests starts the clock, any answer stops it.
    """

    def __init__(self, target: InfluxTarget) -> None:
        self.target = target
        self._down_since: float | None = None
        self._client = InfluxDBClient(
            url=target.http_url,
            token=target.token,
            org=target.org,
            enable_gzip=True,
            timeout=cast(Any, (CONNECT_TIMEOUT_MS, int(target.timeout_s * 1000))),
        )
        self._write = self._client.write_api(write_options=SYNCHRONOUS)
        self._query = self._client.query_api()

    def down_for(self) -> float:
        """Seconds since requests started failing (0 while the server answers)."""
        return 0.0 if self._down_since is None else time.monotonic() - self._down_since

    def _up(self, up: bool) -> None:
        if up:
            self._down_since = None
        elif self._down_since is None:
            self._down_since = time.monotonic()

    def post_lines(self, body: bytes) -> None:
        """Write one line-protocol body (timestamps in ns); raise the errors above."""
        try:
            self._write.write(
                bucket=self.target.bucket,
                org=self.target.org,
                record=body,
                write_precision=cast(WritePrecision, WritePrecision.NS),
            )
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            error = _classify(exc)
            self._up(isinstance(error, InfluxRejectedError))
            raise error from exc
        self._up(True)

    def post_with_retries(
        self, body: bytes, attempts: int, backoff_s: float, max_backoff_s: float
    ) -> None:
        """``post_lines``, retried with exponential backoff while the server is unavailable."""
        delay = backoff_s
        for attempt in range(1, attempts + 1):
            try:
                self.post_lines(body)
            except InfluxUnavailableError as exc:
                if attempt >= attempts:
                    raise
                wait = delay if exc.retry_after is None else max(delay, exc.retry_after)
                time.sleep(min(wait, max_backoff_s))
                delay *= 2
            else:
                return

    def query_csv(self, flux: str) -> str:
        """Run a Flux query; return InfluxDB's annotated CSV answer as text."""
        try:
            response = cast("urllib3.BaseHTTPResponse", self._query.query_raw(flux))
            try:
                return response.data.decode("utf-8")
            finally:
                response.release_conn()
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            error = _classify(exc)
            self._up(isinstance(error, InfluxRejectedError))
            raise error from exc

    def ping(self) -> bool:
        """``GET /ping`` (204 from InfluxDB 2): True when the server answers."""
        up = bool(self._client.ping())
        self._up(up)
        return up

    def close(self) -> None:
        with contextlib.suppress(Exception):
            cast(Any, self._client).close()
