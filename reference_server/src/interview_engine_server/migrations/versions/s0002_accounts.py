"""Tenants, API keys, recruiter accounts and their sessions and invites, the server's record of each interview
(candidate token version, time limits, the question clock), consents, drafts, answer timings, score
overrides and the audit log.

Revision ID: s0002
Revises: s0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from interview_engine_server.db import UTCDateTime

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_audit_log",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_audit_log")),
    )
    op.create_index("ix_server_audit_log_tenant_at", "server_audit_log", ["tenant_id", "at", "id"], unique=False)
    op.create_table(
        "server_tenants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("cors_origins", sa.JSON(), nullable=False),
        sa.Column("candidate_summary", sa.Boolean(), nullable=False),
        sa.Column("allow_private_webhooks", sa.Boolean(), nullable=False),
        sa.Column("consent_notice", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_tenants")),
    )
    op.create_table(
        "server_accounts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["server_tenants.id"],
            name=op.f("fk_server_accounts_tenant_id_server_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_accounts")),
        sa.UniqueConstraint("tenant_id", "email", name="uq_server_accounts_tenant_email"),
    )
    op.create_table(
        "server_api_keys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["server_tenants.id"],
            name=op.f("fk_server_api_keys_tenant_id_server_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_api_keys")),
    )
    op.create_index(op.f("ix_server_api_keys_tenant_id"), "server_api_keys", ["tenant_id"], unique=False)
    op.create_table(
        "server_interviews",
        sa.Column("interview_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("external_ref", sa.String(length=200), nullable=True),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("time_limit_s", sa.Integer(), nullable=True),
        sa.Column("extra_time_s", sa.Integer(), nullable=False),
        sa.Column("no_time_limit", sa.Boolean(), nullable=False),
        sa.Column("clock_question_id", sa.String(length=64), nullable=True),
        sa.Column("clock_started_at", UTCDateTime(), nullable=True),
        sa.Column("clock_paused_at", UTCDateTime(), nullable=True),
        sa.Column("clock_paused_s", sa.Float(), nullable=False),
        sa.Column("consented_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["server_tenants.id"],
            name=op.f("fk_server_interviews_tenant_id_server_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interview_id", name=op.f("pk_server_interviews")),
    )
    op.create_index(op.f("ix_server_interviews_tenant_id"), "server_interviews", ["tenant_id"], unique=False)
    op.create_table(
        "server_invites",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["server_tenants.id"],
            name=op.f("fk_server_invites_tenant_id_server_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_invites")),
    )
    op.create_index(op.f("ix_server_invites_tenant_id"), "server_invites", ["tenant_id"], unique=False)
    op.create_table(
        "server_account_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("refresh_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["server_accounts.id"],
            name=op.f("fk_server_account_sessions_account_id_server_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_account_sessions")),
    )
    op.create_index(
        op.f("ix_server_account_sessions_account_id"), "server_account_sessions", ["account_id"], unique=False
    )
    op.create_table(
        "server_answer_timings",
        sa.Column("interview_id", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("seconds_taken", sa.Float(), nullable=False),
        sa.Column("limit_s", sa.Float(), nullable=True),
        sa.Column("over_limit", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["server_interviews.interview_id"],
            name=op.f("fk_server_answer_timings_interview_id_server_interviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interview_id", "question_id", name=op.f("pk_server_answer_timings")),
    )
    op.create_table(
        "server_consents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("interview_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("recording", sa.Boolean(), nullable=False),
        sa.Column("transcription", sa.Boolean(), nullable=False),
        sa.Column("emotion_analysis", sa.Boolean(), nullable=False),
        sa.Column("notice_text", sa.Text(), nullable=False),
        sa.Column("notice_sha256", sa.String(length=64), nullable=False),
        sa.Column("agreed_at", UTCDateTime(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["server_interviews.interview_id"],
            name=op.f("fk_server_consents_interview_id_server_interviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_consents")),
    )
    op.create_index(op.f("ix_server_consents_interview_id"), "server_consents", ["interview_id"], unique=False)
    op.create_table(
        "server_drafts",
        sa.Column("interview_id", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["server_interviews.interview_id"],
            name=op.f("fk_server_drafts_interview_id_server_interviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interview_id", name=op.f("pk_server_drafts")),
    )
    op.create_table(
        "server_score_overrides",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("interview_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("dimension", sa.String(length=40), nullable=True),
        sa.Column("model_score", sa.Float(), nullable=True),
        sa.Column("human_score", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["server_interviews.interview_id"],
            name=op.f("fk_server_score_overrides_interview_id_server_interviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_score_overrides")),
    )
    op.create_index(
        op.f("ix_server_score_overrides_interview_id"), "server_score_overrides", ["interview_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_server_score_overrides_interview_id"), table_name="server_score_overrides")
    op.drop_table("server_score_overrides")
    op.drop_table("server_drafts")
    op.drop_index(op.f("ix_server_consents_interview_id"), table_name="server_consents")
    op.drop_table("server_consents")
    op.drop_table("server_answer_timings")
    op.drop_index(op.f("ix_server_account_sessions_account_id"), table_name="server_account_sessions")
    op.drop_table("server_account_sessions")
    op.drop_index(op.f("ix_server_invites_tenant_id"), table_name="server_invites")
    op.drop_table("server_invites")
    op.drop_index(op.f("ix_server_interviews_tenant_id"), table_name="server_interviews")
    op.drop_table("server_interviews")
    op.drop_index(op.f("ix_server_api_keys_tenant_id"), table_name="server_api_keys")
    op.drop_table("server_api_keys")
    op.drop_table("server_accounts")
    op.drop_table("server_tenants")
    op.drop_index("ix_server_audit_log_tenant_at", table_name="server_audit_log")
    op.drop_table("server_audit_log")
