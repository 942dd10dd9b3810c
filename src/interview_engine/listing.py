"""Listing interviews: the validated query a Store runs, and keyset page cursors.

Pages are ordered newest first by ``(created_at, id)``; a cursor names the last row of a page, and the next
page starts strictly after it. New interviews sort before every cursor, so paging through a listing while
interviews are being created neither repeats nor skips one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, ConfigDict, Field, ValidationError, model_validator

from .errors import InvalidQuery, validation_message
from .identifiers import TenantId, is_interview_id
from .models import InterviewPage, InterviewState, InterviewSummary, Record, Text

MAX_PAGE = 200
MAX_CURSOR_CHARS = 200
Score = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


class InterviewCursor(Record):
    """Where a page ended: the last listed interview's ``created_at`` and ``id``."""

    created_at: AwareDatetime
    id: str


class InterviewQuery(Record):
    """One tenant's interviews matching every given filter; ``created_after`` is inclusive and
    ``created_before`` exclusive. A Store returns up to ``limit + 1`` rows (one more than the page, so
    ``page_of`` can tell whether another page follows), newest first, strictly after ``after``."""

    model_config = ConfigDict(strict=True)  # merged with Record's: no coercion of "5" or True to a limit

    tenant: TenantId
    role: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    state: InterviewState | None = None
    created_after: AwareDatetime | None = None
    created_before: AwareDatetime | None = None
    min_score: Score | None = None
    max_score: Score | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 50
    after: InterviewCursor | None = None

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.min_score is not None and self.max_score is not None and self.min_score > self.max_score:
            raise ValueError("min_score is above max_score")
        return self


def build_query(tenant: str, cursor: object, **filters: Any) -> InterviewQuery:
    """The query for ``Engine.list_interviews``; every bad filter or cursor is an InvalidQuery."""
    try:
        return InterviewQuery(tenant=tenant, after=decode_cursor(cursor), **filters)
    except ValidationError as exc:
        raise InvalidQuery(f"invalid interview listing: {validation_message(exc)}") from exc


def page_of(rows: Sequence[InterviewSummary], limit: int) -> InterviewPage:
    """A page from up to ``limit + 1`` rows in listing order; the extra row only says that more follow."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return InterviewPage(items=items, next_cursor=encode_cursor(items[-1]) if more and items else None)


def encode_cursor(last: InterviewSummary) -> str:
    raw = f"{last.created_at.isoformat()}|{last.id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_cursor(cursor: object) -> InterviewCursor | None:
    if cursor is None:
        return None
    if not isinstance(cursor, str) or not 0 < len(cursor) <= MAX_CURSOR_CHARS:
        raise InvalidQuery("invalid interview listing: cursor is not one this engine returned")
    try:
        created_at, _, interview_id = base64.b64decode(cursor, altchars=b"-_", validate=True).decode().partition("|")
        parsed = InterviewCursor(created_at=datetime.fromisoformat(created_at), id=interview_id)
    except (ValueError, UnicodeError, binascii.Error, ValidationError) as exc:
        raise InvalidQuery("invalid interview listing: cursor is not one this engine returned") from exc
    if not is_interview_id(parsed.id):
        raise InvalidQuery("invalid interview listing: cursor is not one this engine returned")
    return parsed
