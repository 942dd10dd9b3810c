"""Field types shared by request models."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field


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
InterviewId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
