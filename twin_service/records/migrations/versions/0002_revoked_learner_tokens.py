"""Revoked learner tokens (kept across restarts until the token expires by itself).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revoked_learner_tokens",
        sa.Column("token_digest", sa.LargeBinary, primary_key=True),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("revoked_at", sa.Float, nullable=False),
    )
    op.create_index("ix_revoked_session", "revoked_learner_tokens", ["session_id"])


def downgrade() -> None:
    op.drop_table("revoked_learner_tokens")
