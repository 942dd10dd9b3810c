"""Tenant and interview ids as they cross the SDK's boundary: checked before any store sees them, so a bad
value is a typed error on every database, and a foreign or malformed id reads exactly like a missing one."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from .errors import InterviewNotFound, InvalidTenant

TENANT_MAX_CHARS = 64
_INTERVIEW_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def tenant_problem(value: object) -> str | None:
    """Why ``value`` cannot be a tenant id, or None when it can."""
    if not isinstance(value, str):
        return f"a tenant id must be a string, not {type(value).__name__}"
    if not value:
        return "a tenant id must not be empty"
    if len(value) > TENANT_MAX_CHARS:
        return f"a tenant id has at most {TENANT_MAX_CHARS} characters, not {len(value):,}"
    if not value.isprintable() or value != value.strip():
        return "a tenant id must be printable characters without surrounding spaces"
    return None


def _tenant_rule(value: str) -> str:
    problem = tenant_problem(value)
    if problem:
        raise ValueError(problem)
    return value


TenantId = Annotated[str, AfterValidator(_tenant_rule)]
"""A tenant id in a model or setting: 1-64 printable characters, no surrounding spaces."""


def check_tenant(value: object) -> str:
    """``value`` as a tenant id, or InvalidTenant saying what is wrong with it."""
    problem = tenant_problem(value)
    if problem:
        raise InvalidTenant(f"invalid tenant {_shown(value)}: {problem}")
    assert isinstance(value, str)
    return value


def is_interview_id(value: object) -> bool:
    """Whether ``value`` has the shape of an interview id (letters, digits, ``_`` and ``-``, at most 64)."""
    return isinstance(value, str) and _INTERVIEW_ID.fullmatch(value) is not None


def interview_not_found(interview_id: object) -> InterviewNotFound:
    """The one error for a missing, foreign or malformed interview id."""
    return InterviewNotFound(f"no interview with id {_shown(interview_id)}")


def check_interview_id(value: object) -> str:
    """``value`` as an interview id; InterviewNotFound when it cannot be one."""
    if not is_interview_id(value):
        raise interview_not_found(value)
    assert isinstance(value, str)
    return value


def _shown(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
