"""JSON schemas the model decodes under, and the pydantic models its output is validated with.

Schemas bound every string and list so a constrained decoder always finishes within ``max_tokens``;
scores are validated as integers and clamped to 0-100 for backends that cannot enforce the schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..models import InterviewSpec

QUESTION_CHARS = 300
QUOTE_CHARS = 160
QUOTES_PER_DIMENSION = 2
FEEDBACK_CHARS = 300
COMPETENCY_CHARS = 40


def _clamp(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return max(0, min(100, round(value)))


Score = Annotated[int, BeforeValidator(_clamp)]


class _Output(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PlannedQuestion(_Output):
    kind: Literal["technical", "experience"]
    competency: Annotated[str, Field(max_length=80)] = ""
    text: Annotated[str, Field(min_length=5, max_length=2_000)]


class FollowUpDecision(_Output):
    follow_up: bool
    question: Annotated[str, Field(max_length=2_000)] = ""


class RawDimension(_Output):
    evidence: list[str] = Field(default_factory=list)
    score: Score


class RawScoreCard(_Output):
    scores: dict[str, RawDimension]
    feedback: str = ""


def _string(max_length: int, min_length: int = 0) -> dict[str, Any]:
    return {"type": "string", "minLength": min_length, "maxLength": max_length}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def questions_schema(count: int) -> dict[str, Any]:
    """``{"questions": [{"kind", "competency", "text"}, ...]}`` with exactly ``count`` items."""
    item = _object(
        {
            "kind": {"type": "string", "enum": ["technical", "experience"]},
            "competency": _string(COMPETENCY_CHARS),
            "text": _string(QUESTION_CHARS, min_length=5),
        }
    )
    return _object({"questions": {"type": "array", "items": item, "minItems": count, "maxItems": count}})


def follow_up_schema() -> dict[str, Any]:
    """``{"follow_up": bool, "question": str}``."""
    return _object({"follow_up": {"type": "boolean"}, "question": _string(QUESTION_CHARS)})


def evaluation_schema(spec: InterviewSpec) -> dict[str, Any]:
    """``{"scores": {<dimension key>: {"evidence": [quote], "score": 0-100}}, "feedback": str}``, one
    entry per rubric dimension in rubric order."""
    dimension = _object(
        {
            "evidence": {
                "type": "array",
                "items": _string(QUOTE_CHARS, min_length=1),
                "minItems": 0,
                "maxItems": QUOTES_PER_DIMENSION,
            },
            "score": {"type": "integer", "enum": list(range(101))},
        }
    )
    scores = _object({d.key: dimension for d in spec.rubric})
    return _object({"scores": scores, "feedback": _string(FEEDBACK_CHARS)})
