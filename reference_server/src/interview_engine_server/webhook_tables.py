"""The webhook tables: endpoints, messages (one per idempotency key), deliveries (the outbox: one row per
message and endpoint, claimed by one sender at a time) and attempts (every try, for the admins)."""

from __future__ import annotations

import sqlalchemy as sa

from .db import metadata

webhook_endpoints = sa.Table(
    "server_webhook_endpoints",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("tenant_id", sa.String(255), nullable=False, index=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("event_types", sa.JSON, nullable=True),
    sa.Column("allow_private", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("disabled_reason", sa.Text, nullable=True),
    sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
)

webhook_messages = sa.Table(
    "server_webhook_messages",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("tenant_id", sa.String(255), nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_server_webhook_messages_key"),
)

webhook_deliveries = sa.Table(
    "server_webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("message_id", sa.String(40), sa.ForeignKey("server_webhook_messages.id", ondelete="CASCADE",
                                                      name="fk_server_webhook_deliveries_message"),
              nullable=False),
    sa.Column("endpoint_id", sa.String(40), sa.ForeignKey("server_webhook_endpoints.id", ondelete="CASCADE",
                                                       name="fk_server_webhook_deliveries_endpoint"),
              nullable=False, index=True),
    sa.Column("tenant_id", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claim_token", sa.String(40), nullable=True),
    sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("message_id", "endpoint_id", name="uq_server_webhook_deliveries_target"),
    sa.Index("ix_server_webhook_deliveries_due", "status", "next_attempt_at"),
)

webhook_attempts = sa.Table(
    "server_webhook_attempts",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("delivery_id", sa.String(40), sa.ForeignKey("server_webhook_deliveries.id", ondelete="CASCADE",
                                                       name="fk_server_webhook_attempts_delivery"),
              nullable=False),
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
    sa.Index("ix_server_webhook_attempts_tenant", "tenant_id", "started_at"),
    sa.Index("ix_server_webhook_attempts_endpoint", "endpoint_id", "started_at"),
)
