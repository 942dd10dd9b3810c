"""Job schedule: when a queued job may next be attempted, so retry backoff survives a restart.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from interview_engine.store.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("next_attempt_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE jobs SET next_attempt_at = created_at")  # queued jobs are due at once, as before
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("next_attempt_at", existing_type=UTCDateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("next_attempt_at")
