"""The server's tables for tenants, credentials, recruiter accounts, per-interview server state and the
audit log. Every table is prefixed ``server_`` (the SDK's own tables live in the same database) and every
row carries its tenant, so each query filters by it."""

from __future__ import annotations

import sqlalchemy as sa

from .db import UTCDateTime, metadata

ID = sa.String(64)
UTC_TIME = UTCDateTime()

tenants = sa.Table(
    "server_tenants",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("cors_origins", sa.JSON, nullable=False),
    sa.Column("candidate_summary", sa.Boolean, nullable=False),
    sa.Column("allow_private_webhooks", sa.Boolean, nullable=False),
    sa.Column("consent_notice", sa.Text, nullable=False),
    sa.Column("created_at", UTC_TIME, nullable=False),
)

api_keys = sa.Table(
    "server_api_keys",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("tenant_id", ID, sa.ForeignKey("server_tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("created_by", ID, nullable=True),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("revoked_at", UTC_TIME, nullable=True),
)

accounts = sa.Table(
    "server_accounts",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("tenant_id", ID, sa.ForeignKey("server_tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("disabled_at", UTC_TIME, nullable=True),
    sa.UniqueConstraint("tenant_id", "email", name="uq_server_accounts_tenant_email"),
)

account_sessions = sa.Table(
    "server_account_sessions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("account_id", ID, sa.ForeignKey("server_accounts.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("tenant_id", ID, nullable=False),
    sa.Column("refresh_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("expires_at", UTC_TIME, nullable=False),
    sa.Column("revoked_at", UTC_TIME, nullable=True),
)

invites = sa.Table(
    "server_invites",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("tenant_id", ID, sa.ForeignKey("server_tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_by", ID, nullable=True),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("expires_at", UTC_TIME, nullable=False),
    sa.Column("accepted_at", UTC_TIME, nullable=True),
)

interviews = sa.Table(
    "server_interviews",
    metadata,
    sa.Column("interview_id", ID, primary_key=True),
    sa.Column("tenant_id", ID, sa.ForeignKey("server_tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_by", sa.String(80), nullable=False),
    sa.Column("external_ref", sa.String(200), nullable=True),
    sa.Column("token_version", sa.Integer, nullable=False),
    sa.Column("time_limit_s", sa.Integer, nullable=True),
    sa.Column("extra_time_s", sa.Integer, nullable=False),
    sa.Column("no_time_limit", sa.Boolean, nullable=False),
    sa.Column("clock_question_id", ID, nullable=True),
    sa.Column("clock_started_at", UTC_TIME, nullable=True),
    sa.Column("clock_paused_at", UTC_TIME, nullable=True),
    sa.Column("clock_paused_s", sa.Float, nullable=False),
    sa.Column("consented_at", UTC_TIME, nullable=True),
    sa.Column("created_at", UTC_TIME, nullable=False),
)
"""What the server adds to an SDK interview: who created it, candidate token version (bumping it revokes
every candidate token), time limit and accommodations, the clock of the question being answered, and when
the candidate first consented (the consents themselves are in ``server_consents``)."""

consents = sa.Table(
    "server_consents",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("interview_id", ID, sa.ForeignKey("server_interviews.interview_id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("tenant_id", ID, nullable=False),
    sa.Column("recording", sa.Boolean, nullable=False),
    sa.Column("transcription", sa.Boolean, nullable=False),
    sa.Column("emotion_analysis", sa.Boolean, nullable=False),
    sa.Column("notice_text", sa.Text, nullable=False),
    sa.Column("notice_sha256", sa.String(64), nullable=False),
    sa.Column("agreed_at", UTC_TIME, nullable=False),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("user_agent", sa.String(400), nullable=True),
)
"""Append-only: each consent the candidate gives, with exactly the notice text they agreed to."""

drafts = sa.Table(
    "server_drafts",
    metadata,
    sa.Column("interview_id", ID, sa.ForeignKey("server_interviews.interview_id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("question_id", ID, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("updated_at", UTC_TIME, nullable=False),
)

live_peers = sa.Table(
    "server_live_peers",
    metadata,
    sa.Column("interview_id", ID, sa.ForeignKey("server_interviews.interview_id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("peer_id", sa.String(36), nullable=False),
    sa.Column("server_url", sa.String(2048), nullable=False, index=True),
    sa.Column("created_at", UTC_TIME, nullable=False),
)
"""Which server holds each interview's live peer, when servers share the database (``live_server_url``)."""

answer_timings = sa.Table(
    "server_answer_timings",
    metadata,
    sa.Column("interview_id", ID, sa.ForeignKey("server_interviews.interview_id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("question_id", ID, primary_key=True),
    sa.Column("seconds_taken", sa.Float, nullable=False),
    sa.Column("limit_s", sa.Float, nullable=True),
    sa.Column("over_limit", sa.Boolean, nullable=False),
)

score_overrides = sa.Table(
    "server_score_overrides",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("interview_id", ID, sa.ForeignKey("server_interviews.interview_id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("tenant_id", ID, nullable=False),
    sa.Column("dimension", sa.String(40), nullable=True),
    sa.Column("model_score", sa.Float, nullable=True),
    sa.Column("human_score", sa.Float, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("account_id", ID, nullable=False),
    sa.Column("created_at", UTC_TIME, nullable=False),
)
"""Append-only human overrides; the latest per dimension (NULL: the overall score) is in force."""

audit_log = sa.Table(
    "server_audit_log",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("tenant_id", ID, nullable=False),
    sa.Column("at", UTC_TIME, nullable=False),
    sa.Column("actor_type", sa.String(16), nullable=False),
    sa.Column("actor_id", ID, nullable=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target_type", sa.String(32), nullable=True),
    sa.Column("target_id", ID, nullable=True),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("user_agent", sa.String(400), nullable=True),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Index("ix_server_audit_log_tenant_at", "tenant_id", "at", "id"),
)
"""Who did what to which record, when and from where. Kept when the interview itself is deleted: it holds
no interview content, only the fact of the access."""
