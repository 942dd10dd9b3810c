"""Event log (per-interview streams and their events) and webhooks (endpoints, messages, deliveries, attempts).

Revision ID: s0003
Revises: s0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0002"
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
    _create_webhook_tables()


def _create_webhook_tables() -> None:
    op.create_table(
        "server_webhook_endpoints",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("event_types", sa.JSON, nullable=True),
        sa.Column("allow_private", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_server_webhook_endpoints"),
    )
    op.create_index("ix_server_webhook_endpoints_tenant_id", "server_webhook_endpoints", ["tenant_id"])
    op.create_table(
        "server_webhook_messages",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_server_webhook_messages"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_server_webhook_messages_key"),
    )
    op.create_table(
        "server_webhook_deliveries",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("message_id", sa.String(40), nullable=False),
        sa.Column("endpoint_id", sa.String(40), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_token", sa.String(40), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_server_webhook_deliveries"),
        sa.ForeignKeyConstraint(["message_id"], ["server_webhook_messages.id"], ondelete="CASCADE",
                                name="fk_server_webhook_deliveries_message"),
        sa.ForeignKeyConstraint(["endpoint_id"], ["server_webhook_endpoints.id"], ondelete="CASCADE",
                                name="fk_server_webhook_deliveries_endpoint"),
        sa.UniqueConstraint("message_id", "endpoint_id", name="uq_server_webhook_deliveries_target"),
    )
    op.create_index("ix_server_webhook_deliveries_endpoint_id", "server_webhook_deliveries", ["endpoint_id"])
    op.create_index("ix_server_webhook_deliveries_due", "server_webhook_deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "server_webhook_attempts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("delivery_id", sa.String(40), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("endpoint_id", sa.String(40), nullable=False),
        sa.Column("message_id", sa.String(40), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("response_excerpt", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_server_webhook_attempts"),
        sa.ForeignKeyConstraint(["delivery_id"], ["server_webhook_deliveries.id"], ondelete="CASCADE",
                                name="fk_server_webhook_attempts_delivery"),
    )
    op.create_index("ix_server_webhook_attempts_tenant", "server_webhook_attempts", ["tenant_id", "started_at"])
    op.create_index("ix_server_webhook_attempts_endpoint", "server_webhook_attempts", ["endpoint_id", "started_at"])


def downgrade() -> None:
    for table in ("server_webhook_attempts", "server_webhook_deliveries", "server_webhook_messages",
                  "server_webhook_endpoints"):
        op.drop_table(table)
    op.drop_table("server_events")
    op.drop_table("server_event_streams")
