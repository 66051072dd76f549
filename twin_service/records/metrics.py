"""Prometheus metrics of the records writer and the xAPI outbox (on the service registry)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class RecordsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.written = Counter(
            "accesstwin_records_written", "Record writes committed (events, rows)", registry=r
        )
        self.write_errors = Counter(
            "accesstwin_records_write_errors",
            "Failed commits to the records database (the batch is kept and retried)",
            registry=r,
        )
        self.dropped = Counter(
            "accesstwin_records_dropped",
            "Record writes refused, by reason: limit (the pending queue is full while the"
            " database is away) or session_events (a session's event bound)",
            ["reason"],
            registry=r,
        )
        self.pending = Gauge(
            "accesstwin_records_pending", "Record writes waiting for a commit", registry=r
        )
        self.pending_max = Gauge(
            "accesstwin_records_pending_max", "Bound of the pending record writes", registry=r
        )
        self.database_up = Gauge(
            "accesstwin_records_database_up",
            "1 while the records database takes writes, 0 while it is away",
            registry=r,
        )
        self.running_sessions = Gauge(
            "accesstwin_sessions_running", "Sessions running in this process", registry=r
        )
        self.revoked_tokens = Gauge(
            "accesstwin_learner_tokens_revoked",
            "Revoked learner tokens kept (those not yet expired by themselves)",
            registry=r,
        )
        self.xapi_sent = Counter(
            "accesstwin_xapi_statements_sent", "xAPI statements the LRS accepted", registry=r
        )
        self.xapi_failures = Counter(
            "accesstwin_xapi_send_failures",
            "Failed attempts to send xAPI statements (retried with backoff)",
            registry=r,
        )
        self.xapi_waiting = Gauge(
            "accesstwin_xapi_statements_waiting", "xAPI statements in the outbox", registry=r
        )
