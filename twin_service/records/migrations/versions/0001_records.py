"""Profiles, sessions, events and the xAPI outbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("learner_id", sa.String(64), primary_key=True),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.String(32), primary_key=True),
        sa.Column("learner_id", sa.String(64), nullable=False),
        sa.Column("lab", sa.String(64), nullable=False),
        sa.Column("kit", sa.String(64), nullable=False),
        sa.Column("scenario", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("token_digest", sa.LargeBinary, nullable=False),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("score", sa.JSON),
        sa.Column("report", sa.JSON),
    )
    op.create_index("ix_sessions_learner", "sessions", ["learner_id", "created_at"])
    op.create_index("ix_sessions_state_owner", "sessions", ["state", "owner"])
    op.create_table(
        "events",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.UniqueConstraint("session_id", "seq", name="uq_events_session_seq"),
    )
    op.create_table(
        "xapi_outbox",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("statement_id", sa.String(36), nullable=False, unique=True),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("sent_at", sa.Float),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_outbox_due", "xapi_outbox", ["sent_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("xapi_outbox")
    op.drop_table("events")
    op.drop_table("sessions")
    op.drop_table("profiles")
