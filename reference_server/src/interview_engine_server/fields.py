"""Field types shared by request models."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (lone surrogate)") from None
    return value


SafeText = Annotated[str, AfterValidator(_storable)]
"""Text any database stores as given: no NUL, no lone surrogate. Stored and returned verbatim (as JSON
strings, never as markup), so markup in it stays inert."""
RecordId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
"""The id of an interview or a question: 32 hex digits."""


def _iso_text(value: Any) -> Any:
    if isinstance(value, str) and not re.match(r"^\d{4}-\d{2}-\d{2}[T ]", value):
        raise ValueError("expected an ISO 8601 date-time with a time zone, e.g. 2026-01-31T09:00:00Z")
    return value


QueryDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
"""A date-time in a query string: ISO 8601 with a time zone (not a Unix timestamp, not a bare date)."""
