"""The SQL schema, as SQLAlchemy Core tables. Alembic migrations create it; a test checks they agree."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = sa.String(32)

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

interviews = sa.Table(
    "interviews",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("spec", sa.JSON(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("overall_score", sa.Float(), nullable=True),  # the report's, for filtering listings
    sa.Index("ix_interviews_tenant_listing", "tenant_id", "created_at", "id"),
)

questions = sa.Table(
    "questions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("interview_id", ID, sa.ForeignKey("interviews.id", ondelete="CASCADE"), nullable=False),
    sa.Column("ordinal", sa.Integer(), nullable=False),
    sa.Column("depth", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("competency", sa.String(80), nullable=True),
    sa.Column("parent_id", ID, nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("interview_id", "ordinal", "depth", name="uq_questions_position"),
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("interview_id", ID, sa.ForeignKey("interviews.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("question_id", ID, sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False,
              unique=True),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("duration_s", sa.Float(), nullable=True),
    sa.Column("segments", sa.JSON(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("answer_id", ID, sa.ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("interview_id", ID, sa.ForeignKey("interviews.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("question_id", ID, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("scores", sa.JSON(), nullable=False),
    sa.Column("feedback", sa.Text(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("evaluator", sa.String(100), nullable=True),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("flags", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
)

emotion_samples = sa.Table(
    "emotion_samples",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("interview_id", ID, sa.ForeignKey("interviews.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("question_id", ID, nullable=True),
    sa.Column("t", sa.Float(), nullable=False),
    sa.Column("face_count", sa.Integer(), nullable=False),
    sa.Column("emotions", sa.JSON(), nullable=True),
    sa.Column("dominant", sa.String(16), nullable=True),
    sa.Column("box", sa.JSON(), nullable=True),
)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("interview_id", ID, sa.ForeignKey("interviews.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("body", sa.JSON(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
)
