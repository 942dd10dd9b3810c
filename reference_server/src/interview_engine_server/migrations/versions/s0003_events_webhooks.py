"""Event log (per-interview streams and their events) and webhooks (endpoints, messages, deliveries, attempts).

Revision ID: s0003
Revises: s0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_event_streams",
        sa.Column("interview_id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("interview_id", name="pk_server_event_streams"),
    )
    op.create_index("ix_server_event_streams_updated_at", "server_event_streams", ["updated_at"])
    op.create_table(
        "server_events",
        sa.Column("interview_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("recruiter_only", sa.Boolean, nullable=False),
        sa.Column("dedupe_key", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("interview_id", "seq", name="pk_server_events"),
        sa.UniqueConstraint("interview_id", "dedupe_key", name="uq_server_events_dedupe"),
    )


def downgrade() -> None:
    op.drop_table("server_events")
    op.drop_table("server_event_streams")
