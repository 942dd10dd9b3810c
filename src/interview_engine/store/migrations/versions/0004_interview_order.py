"""Interview listings: the report's overall score kept on the interview (filled from existing reports) and
an index for a tenant's interviews newest first, which replaces the index on the tenant alone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interviews") as batch:
        batch.add_column(sa.Column("overall_score", sa.Float(), nullable=True))
    op.drop_index("ix_interviews_tenant_id", table_name="interviews")
    op.create_index("ix_interviews_tenant_listing", "interviews", ["tenant_id", "created_at", "id"])
    interviews = sa.table("interviews", sa.column("id"), sa.column("overall_score", sa.Float()))
    reports = sa.table("reports", sa.column("interview_id"), sa.column("body", sa.JSON()))
    score = (
        sa.select(reports.c.body["overall_score"].as_float())
        .where(reports.c.interview_id == interviews.c.id)
        .scalar_subquery()
    )
    op.execute(interviews.update().values(overall_score=score))


def downgrade() -> None:
    op.drop_index("ix_interviews_tenant_listing", table_name="interviews")
    op.create_index("ix_interviews_tenant_id", "interviews", ["tenant_id"])
    with op.batch_alter_table("interviews") as batch:
        batch.drop_column("overall_score")
