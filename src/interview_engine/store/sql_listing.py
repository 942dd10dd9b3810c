"""The SQL of ``SQLStore.list_interviews``: every filter, the keyset and the counts run in the database."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..listing import InterviewQuery
from . import tables as t

_interviews = t.interviews.c


def listing_select(query: InterviewQuery) -> sa.Select[Any]:
    """Up to ``query.limit + 1`` interview summaries, newest first, as rows named like InterviewSummary."""
    spec = _interviews.spec
    role = spec["role"].as_string()
    questions = (sa.select(sa.func.count()).select_from(t.questions)
                 .where(t.questions.c.interview_id == _interviews.id).scalar_subquery())
    answered = (sa.select(sa.func.count()).select_from(t.answers)
                .where(t.answers.c.interview_id == _interviews.id).scalar_subquery())
    select = sa.select(
        _interviews.id, _interviews.tenant_id, role.label("role"), spec["level"].as_string().label("level"),
        spec["language"].as_string().label("language"), _interviews.state, _interviews.created_at,
        _interviews.finished_at, _interviews.overall_score, questions.label("question_count"),
        answered.label("answered_count"),
    ).where(_interviews.tenant_id == query.tenant)
    conditions: list[sa.ColumnElement[bool]] = []
    if query.role is not None:
        conditions.append(role == query.role)
    if query.state is not None:
        conditions.append(_interviews.state == query.state)
    if query.created_after is not None:
        conditions.append(_interviews.created_at >= query.created_after)
    if query.created_before is not None:
        conditions.append(_interviews.created_at < query.created_before)
    if query.min_score is not None:
        conditions.append(_interviews.overall_score >= query.min_score)
    if query.max_score is not None:
        conditions.append(_interviews.overall_score <= query.max_score)
    if query.after is not None:
        after = query.after
        conditions.append(sa.or_(
            _interviews.created_at < after.created_at,
            sa.and_(_interviews.created_at == after.created_at, _interviews.id < after.id),
        ))
    return (select.where(*conditions)
            .order_by(_interviews.created_at.desc(), _interviews.id.desc())
            .limit(query.limit + 1))
