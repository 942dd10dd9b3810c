"""JSON schemas the model decodes under, and the pydantic models its output is validated with.

Schemas bound every string and list so a constrained decoder always finishes within ``max_tokens``,
even when a small model loops. Each rubric dimension gets a rating from a small scale of one-digit
integers (an ``enum``, which llama.cpp grammars enforce), so the model writes each rating as one token
whose probability distribution the evaluator can read (``interview_engine.llm.ratings``).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..grounding import carries_meaning
from ..models import InterviewSpec
from ..textnorm import fold

QUESTION_CHARS = 300
QUOTE_CHARS = 160
QUOTES_PER_DIMENSION = 1
POINTS = 3
POINT_CHARS = 80
FEEDBACK_CHARS = 200
"""One sentence for the recruiter."""
COMPETENCY_CHARS = 40
FRAGMENT_WORDS = 12
MAX_FRAGMENTS = 80
_BREAKS = re.compile(r"(?<=[.!?;:。！？])\s+|\n+|,\s+|\s+-\s+|[\"\\\x00-\x1f\x7f]+")
"""Where fragments end: sentence and clause ends, and characters a grammar literal cannot hold safely
(llama-cpp-python's converter leaves the backslash of an escaped quote unescaped, which breaks the
grammar and crashes llama.cpp)."""


RATINGS = (1, 2, 3, 4, 5)
"""The rating scale, worst to best: one token each in every tokenizer."""


class _Output(BaseModel):
    model_config = ConfigDict(extra="ignore")


PlanFocus = Literal["technical", "experience"]
"""What a planned question probes: a technical skill or the candidate's experience."""
FOCI: tuple[PlanFocus, ...] = ("technical", "experience")


class PlannedQuestion(_Output):
    focus: PlanFocus
    competency: Annotated[str, Field(max_length=80)] = ""
    text: Annotated[str, Field(min_length=5, max_length=2_000)]


class FollowUpDecision(_Output):
    follow_up: bool
    question: Annotated[str, Field(max_length=2_000)]

    @model_validator(mode="after")
    def _question_when_following_up(self) -> Self:
        if self.follow_up and not self.question.strip():
            raise ValueError("follow_up is true but the question is empty")
        return self


class RawDimension(_Output):
    evidence: list[str] = Field(default_factory=list)
    rating: Annotated[int, Field(ge=RATINGS[0], le=RATINGS[-1])]


Verdict = Literal["excellent", "good", "partial", "weak", "off_topic"]
VERDICTS: tuple[Verdict, ...] = ("excellent", "good", "partial", "weak", "off_topic")


class KeyPoints(_Output):
    points: Annotated[list[str], Field(min_length=1)]


class RawScoreCard(_Output):
    answers_question: bool
    """Whether the answer addresses this question at all: judged before any content is credited."""
    covered: list[bool] = Field(default_factory=list)
    verdict: Verdict
    """The model marks which key points the answer covers and gives an overall verdict first, so that
    its dimension scores are anchored to that reasoning."""
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
    """``{"questions": [{"focus", "competency", "text"}, ...]}`` with exactly ``count`` items whose foci
    alternate technical, experience, technical, ... so every plan mixes both."""
    items = [
        _object({
            "focus": {"type": "string", "enum": [FOCI[i % len(FOCI)]]},
            "competency": _string(COMPETENCY_CHARS),
            "text": _string(QUESTION_CHARS, min_length=5),
        })
        for i in range(count)
    ]
    return _object({"questions": {"type": "array", "prefixItems": items, "minItems": count, "maxItems": count}})


def points_schema() -> dict[str, Any]:
    """``{"points": [3 short phrases]}``: what a strong answer makes, listed before seeing the answer."""
    items = _string(POINT_CHARS, min_length=3)
    return _object({"points": {"type": "array", "items": items, "minItems": POINTS, "maxItems": POINTS}})


def follow_up_schema() -> dict[str, Any]:
    """``{"follow_up": bool, "question": str}``."""
    return _object({"follow_up": {"type": "boolean"}, "question": _string(QUESTION_CHARS)})


def answer_fragments(answer: str) -> list[str]:
    """The phrases of an answer a quote may be: its sentences and clauses, long ones cut into runs of at
    most ``FRAGMENT_WORDS`` words (white space collapsed, as evidence matching does), that are long
    enough to count as evidence (``grounding.carries_meaning``)."""
    fragments: list[str] = []
    for piece in _BREAKS.split(answer):
        words = piece.split()
        for start in range(0, len(words), FRAGMENT_WORDS):
            fragment = " ".join(words[start : start + FRAGMENT_WORDS])
            if carries_meaning(fold(fragment)) and fragment not in fragments:
                fragments.append(fragment)
    return fragments[:MAX_FRAGMENTS]


FEEDBACK_BYTES_PER_CHAR = {"en": 2, "ko": 3}
"""UTF-8 bytes per character of feedback in each language, with room for escapes and a foreign word."""
WHITESPACE_TOKENS = 16
"""Room for the white space a grammar allows between JSON tokens."""


def evaluation_budget(spec: InterviewSpec, answer: str | None = None) -> int:
    """The most tokens an output of ``evaluation_schema(spec, answer)`` can take, in any tokenizer: its
    longest form in UTF-8 bytes (no token is shorter than a byte), so no language is cut mid-JSON."""
    fragments = answer_fragments(answer) if answer is not None else []
    unknown = "x" * QUOTE_CHARS * 4  # any answer: the longest quote the schema allows, in 4-byte characters
    quote = max(fragments, key=lambda f: len(f.encode()), default="" if answer is not None else unknown)
    longest = {
        "answers_question": False, "covered": [False] * POINTS, "verdict": max(VERDICTS, key=len),
        "scores": {d.key: {"evidence": [quote] * QUOTES_PER_DIMENSION, "rating": RATINGS[-1]} for d in spec.rubric},
        "feedback": "",
    }
    skeleton = len(json.dumps(longest, ensure_ascii=False).encode())
    return skeleton + FEEDBACK_CHARS * FEEDBACK_BYTES_PER_CHAR[spec.language] + WHITESPACE_TOKENS


def evaluation_schema(spec: InterviewSpec, answer: str | None = None) -> dict[str, Any]:
    """``{"answers_question": bool, "covered": [3 bools], "verdict": ..., "scores": {<dimension key>:
    {"evidence": [at most one quote], "rating": 1-5}}, "feedback": one sentence}``, one score per rubric
    dimension in rubric order. Given the ``answer``, each quote must be one of its fragments
    (``answer_fragments``), so a constrained decoder can only quote the answer verbatim."""
    quote: dict[str, Any] = _string(QUOTE_CHARS, min_length=1)
    limit = QUOTES_PER_DIMENSION
    if answer is not None:
        fragments = answer_fragments(answer)
        quote = {"type": "string", "enum": fragments} if fragments else quote
        limit = limit if fragments else 0
    dimension = _object(
        {
            "evidence": {"type": "array", "items": quote, "minItems": 0, "maxItems": limit},
            "rating": {"type": "integer", "enum": list(RATINGS)},
        }
    )
    scores = _object({d.key: dimension for d in spec.rubric})
    return _object({
        "answers_question": {"type": "boolean"},
        "covered": {"type": "array", "items": {"type": "boolean"}, "minItems": POINTS, "maxItems": POINTS},
        "verdict": {"type": "string", "enum": list(VERDICTS)},
        "scores": scores,
        "feedback": _string(FEEDBACK_CHARS),
    })
