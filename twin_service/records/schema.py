"""The records tables (SQLAlchemy Core). Changes go through a new Alembic migration."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# BIGINT on PostgreSQL, INTEGER (the rowid alias, so it auto-increments) on SQLite.
_Id = BigInteger().with_variant(Integer(), "sqlite")

profiles = Table(
    "profiles",
    metadata,
    Column("learner_id", String(64), primary_key=True),
    Column("profile", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(32), primary_key=True),
    Column("learner_id", String(64), nullable=False),
    Column("lab", String(64), nullable=False),
    Column("kit", String(64), nullable=False),
    Column("scenario", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # running | finished | interrupted
    Column("owner", String(200), nullable=False),  # the service instance that runs it
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("token_digest", LargeBinary, nullable=False),
    Column("profile", JSON, nullable=False),  # the profile the session started with
    Column("score", JSON),  # the newest score report
    Column("report", JSON),  # the final report, once finished
    Index("ix_sessions_learner", "learner_id", "created_at"),
    Index("ix_sessions_state_owner", "state", "owner"),
)

events = Table(
    "events",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("session_id", String(32), nullable=False),
    Column("seq", Integer, nullable=False),  # per session, from 1; fixes the xAPI ids
    Column("ts", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("data", JSON, nullable=False),
    UniqueConstraint("session_id", "seq", name="uq_events_session_seq"),
)

xapi_outbox = Table(
    "xapi_outbox",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("statement_id", String(36), nullable=False, unique=True),
    Column("statement", Text, nullable=False),  # the JSON text sent, fixed once written
    Column("created_at", Float, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("sent_at", Float),
    Column("last_error", Text),
    Index("ix_outbox_due", "sent_at", "next_attempt_at"),
)

# A learner token revoked by an instructor (twin_service.auth.revocations): dropped once
# the token has expired by itself (its session finished longer ago than the grace).
revoked_learner_tokens = Table(
    "revoked_learner_tokens",
    metadata,
    Column("token_digest", LargeBinary, primary_key=True),
    Column("session_id", String(32), nullable=False),
    Column("revoked_at", Float, nullable=False),
    Index("ix_revoked_session", "session_id"),
)
