"""Initial schema: tenants, interviews, questions, answers, evaluations, emotion samples, reports, jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from interview_engine.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
    )
    op.create_table(
        "interviews",
        sa.Column("id", ID, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_interviews_tenant_id_tenants"),
        sa.PrimaryKeyConstraint("id", name="pk_interviews"),
    )
    op.create_index("ix_interviews_tenant_id", "interviews", ["tenant_id"])
    op.create_table(
        "questions",
        sa.Column("id", ID, nullable=False),
        sa.Column("interview_id", ID, nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("competency", sa.String(80), nullable=True),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"], ondelete="CASCADE",
                                name="fk_questions_interview_id_interviews"),
        sa.PrimaryKeyConstraint("id", name="pk_questions"),
        sa.UniqueConstraint("interview_id", "ordinal", "depth", name="uq_questions_position"),
    )
    op.create_table(
        "answers",
        sa.Column("id", ID, nullable=False),
        sa.Column("interview_id", ID, nullable=False),
        sa.Column("question_id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"], ondelete="CASCADE",
                                name="fk_answers_interview_id_interviews"),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE",
                                name="fk_answers_question_id_questions"),
        sa.PrimaryKeyConstraint("id", name="pk_answers"),
        sa.UniqueConstraint("question_id", name="uq_answers_question_id"),
    )
    op.create_index("ix_answers_interview_id", "answers", ["interview_id"])
    op.create_table(
        "evaluations",
        sa.Column("answer_id", ID, nullable=False),
        sa.Column("interview_id", ID, nullable=False),
        sa.Column("question_id", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("evaluator", sa.String(100), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["answer_id"], ["answers.id"], ondelete="CASCADE",
                                name="fk_evaluations_answer_id_answers"),
        sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"], ondelete="CASCADE",
                                name="fk_evaluations_interview_id_interviews"),
        sa.PrimaryKeyConstraint("answer_id", name="pk_evaluations"),
    )
    op.create_index("ix_evaluations_interview_id", "evaluations", ["interview_id"])
    op.create_table(
        "emotion_samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("interview_id", ID, nullable=False),
        sa.Column("question_id", ID, nullable=True),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("face_count", sa.Integer(), nullable=False),
        sa.Column("emotions", sa.JSON(), nullable=True),
        sa.Column("dominant", sa.String(16), nullable=True),
        sa.Column("box", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"], ondelete="CASCADE",
                                name="fk_emotion_samples_interview_id_interviews"),
        sa.PrimaryKeyConstraint("id", name="pk_emotion_samples"),
    )
    op.create_index("ix_emotion_samples_interview_id", "emotion_samples", ["interview_id"])
    op.create_table(
        "reports",
        sa.Column("interview_id", ID, nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"], ondelete="CASCADE",
                                name="fk_reports_interview_id_interviews"),
        sa.PrimaryKeyConstraint("interview_id", name="pk_reports"),
    )
    op.create_table(
        "jobs",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_jobs"),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])


def downgrade() -> None:
    for table in ("jobs", "reports", "emotion_samples", "evaluations", "answers", "questions",
                  "interviews", "tenants"):
        op.drop_table(table)
