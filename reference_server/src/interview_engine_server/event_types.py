"""The kinds of interview event, and an event to publish: light, for modules imported in every SDK
process (the hooks), which must not pull in the event log and its database code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

EventType = Literal["question.asked", "answer.recorded", "evaluation.updated", "transcript.interim",
                    "transcript.final", "proctoring.signal", "interview.paused", "interview.resumed",
                    "interview.finished", "report.ready"]
EVENT_TYPES: frozenset[str] = frozenset(get_args(EventType))


@dataclass(frozen=True)
class NewEvent:
    """An event to publish (``EventLog.publish_all``)."""

    type: EventType
    data: dict[str, Any]
    recruiter_only: bool = False
    dedupe_key: str | None = None
    """Unique per interview: a second event under the same key is not stored (the first one stands)."""
