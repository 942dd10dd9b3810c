"""LLMEvaluator: scores one answer on the interview's weighted rubric with verbatim evidence quotes.

The engine grounds what this returns (``interview_engine.grounding``): invented quotes are dropped,
unsupported and short answers capped. This module only asks well and validates the shape.
"""

from __future__ import annotations

import logging

from ..errors import EvaluationFailed
from ..models import DimensionScore, EvaluationRequest, InterviewSpec, ScoreCard
from .backend import ChatBackend, ChatMessage
from .prompts import fence, new_nonce, render
from .schemas import RawScoreCard, evaluation_schema
from .structured import DEFAULT_ATTEMPTS, generate_structured

log = logging.getLogger(__name__)

ANSWER_CHARS = 12_000
"""Answers are cut to this many characters in the prompt (about 3,000 tokens)."""
TOKENS_PER_DIMENSION = 140
FEEDBACK_TOKENS = 120


class LLMEvaluator:
    """An Evaluator on a chat model. After ``attempts`` invalid outputs it raises EvaluationFailed with
    the reason, which the session records on the evaluation. ``max_tokens`` overrides the output budget
    (which otherwise grows with the rubric)."""

    def __init__(
        self,
        backend: ChatBackend,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        temperature: float = 0.0,
        seed: int | None = 0,
        max_tokens: int | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.backend = backend
        self.attempts = attempts
        self.temperature = temperature
        self.seed = seed
        self.max_tokens = max_tokens

    async def evaluate(self, request: EvaluationRequest) -> ScoreCard:
        spec = request.spec
        raw = await generate_structured(
            self.backend,
            evaluation_messages(request),
            evaluation_schema(spec, request.answer.text),
            RawScoreCard,
            what=f"evaluation of answer {request.answer.id}",
            error=EvaluationFailed,
            attempts=self.attempts,
            temperature=self.temperature,
            max_tokens=self.max_tokens or TOKENS_PER_DIMENSION * len(spec.rubric) + FEEDBACK_TOKENS,
            seed=self.seed,
            check=lambda card: _check_dimensions(card, spec),
        )
        scores = [
            DimensionScore(
                dimension=d.key,
                score=raw.scores[d.key].score,
                evidence=[q.strip() for q in raw.scores[d.key].evidence if q.strip()],
            )
            for d in spec.rubric
        ]
        return ScoreCard(scores=scores, feedback=raw.feedback.strip())

    async def aclose(self) -> None:
        await self.backend.aclose()


def evaluation_messages(request: EvaluationRequest) -> list[ChatMessage]:
    """The chat for one evaluation: a system prompt that depends only on language and rubric (so
    backends can reuse its cached prefix), and the fenced question and answer."""
    spec = request.spec
    nonce = new_nonce()
    user = render(
        spec.language,
        "evaluation.user",
        role=spec.role,
        level=spec.level,
        nonce=nonce,
        question=fence("question", request.question.text, nonce),
        answer=fence("answer", request.answer.text, nonce, limit=ANSWER_CHARS),
        keys=", ".join(d.key for d in spec.rubric),
    )
    return [
        ChatMessage(role="system", content=render(spec.language, "evaluation.system", rubric=_rubric(spec))),
        ChatMessage(role="user", content=user),
    ]


def _check_dimensions(card: RawScoreCard, spec: InterviewSpec) -> None:
    missing = [d.key for d in spec.rubric if d.key not in card.scores]
    if missing:
        raise ValueError(f"rubric dimensions not scored: {', '.join(missing)}")


def _rubric(spec: InterviewSpec) -> str:
    total = sum(d.weight for d in spec.rubric)
    return "\n".join(
        f"- {d.key} ({d.name}, weight {d.weight / total:.0%}){': ' + d.description if d.description else ''}"
        for d in spec.rubric
    )
