"""Which server holds each interview's live peer (servers that share the database and set
``live_server_url``).

Revision ID: s0004
Revises: s0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from interview_engine_server.db import UTCDateTime

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_live_peers",
        sa.Column("interview_id", sa.String(length=64), nullable=False),
        sa.Column("peer_id", sa.String(length=36), nullable=False),
        sa.Column("server_url", sa.String(length=2048), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["server_interviews.interview_id"],
            name=op.f("fk_server_live_peers_interview_id_server_interviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interview_id", name=op.f("pk_server_live_peers")),
    )
    op.create_index(op.f("ix_server_live_peers_server_url"), "server_live_peers", ["server_url"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_server_live_peers_server_url"), table_name="server_live_peers")
    op.drop_table("server_live_peers")
