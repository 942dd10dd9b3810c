"""LLMEvaluator: scores one answer on the interview's weighted rubric with verbatim evidence quotes.

The engine grounds what this returns (``interview_engine.grounding``): invented quotes are dropped,
unsupported and short answers capped. This module only asks well, validates the shape and turns the
model's ratings into scores: on a backend that reports log-probabilities, each dimension's score is the
expected rating under the model's distribution (``interview_engine.llm.ratings``), which separates
answers a sampled rating would tie; elsewhere, the sampled rating.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict

from ..errors import EvaluationFailed
from ..models import MAX_ANSWER_CHARS, DimensionScore, EvaluationRequest, InterviewSpec, ScoreCard
from .backend import ChatBackend, ChatMessage
from .prompts import fence, new_nonce, render
from .ratings import expected_rating, rating_score, value_offsets
from .schemas import KeyPoints, RawScoreCard, evaluation_schema, points_schema
from .structured import DEFAULT_ATTEMPTS, complete_structured, generate_structured

log = logging.getLogger(__name__)

ANSWER_CHARS = MAX_ANSWER_CHARS
"""By default the evaluator reads the whole of the longest answer accepted. With Qwen2.5's tokenizer,
20,000 characters make a scoring prompt of about 5,600 tokens in English and 12,700 in Korean
(bench/prompt_tokens.py), so a model with a smaller context window needs ``answer_chars``."""
TOKENS_PER_DIMENSION = 140
FIXED_TOKENS = 200
"""Coverage, verdict and feedback."""
POINTS_TOKENS = 120
TOP_LOGPROBS = 10
"""Alternatives asked for at each token: enough to hold every rating the model gives weight to."""
CACHED_QUESTIONS = 256


class LLMEvaluator:
    """An Evaluator on a chat model, in two steps of one conversation: the model first lists the key
    points a strong answer to the question makes (before it sees the answer; remembered per question),
    then marks which the answer covers, gives a verdict and scores each rubric dimension with quotes.

    After ``attempts`` invalid outputs it raises EvaluationFailed with the reason, which the session
    records on the evaluation. ``max_tokens`` overrides the scoring step's output budget (which
    otherwise grows with the rubric). ``answer_chars`` cuts answers longer than that for a model with a
    short context; the score card then says how much was read (``ScoreCard.read_chars``) and the
    evaluation is flagged."""

    def __init__(
        self,
        backend: ChatBackend,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        temperature: float = 0.0,
        seed: int | None = 0,
        max_tokens: int | None = None,
        answer_chars: int = ANSWER_CHARS,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if answer_chars < 1:
            raise ValueError("answer_chars must be at least 1")
        self.backend = backend
        self.attempts = attempts
        self.temperature = temperature
        self.seed = seed
        self.max_tokens = max_tokens
        self.answer_chars = answer_chars
        self._points: OrderedDict[tuple[str, ...], list[str]] = OrderedDict()

    async def evaluate(self, request: EvaluationRequest) -> ScoreCard:
        spec = request.spec
        read = request.answer.text[:self.answer_chars]
        raw, completion = await complete_structured(
            self.backend,
            await self.scoring_messages(request),
            evaluation_schema(spec, read),
            RawScoreCard,
            what=f"evaluation of answer {request.answer.id}",
            error=EvaluationFailed,
            attempts=self.attempts,
            temperature=self.temperature,
            max_tokens=self.max_tokens_for(spec),
            seed=self.seed,
            check=lambda card: _check_dimensions(card, spec),
            top_logprobs=TOP_LOGPROBS,
        )
        offsets = value_offsets(completion.text) if completion.tokens else {}
        scores = []
        for d in spec.rubric:
            dimension = raw.scores[d.key]
            rating = expected_rating(completion.tokens, offsets.get(("scores", d.key, "rating")), dimension.rating)
            evidence = [q.strip() for q in dimension.evidence if q.strip()]
            scores.append(DimensionScore(dimension=d.key, score=rating_score(rating), evidence=evidence))
        cut = len(read) < len(request.answer.text)
        return ScoreCard(scores=scores, feedback=raw.feedback.strip(), read_chars=len(read) if cut else None)

    async def scoring_messages(self, request: EvaluationRequest) -> list[ChatMessage]:
        """The chat for the scoring step, asking for the question's key points first if not yet known."""
        opening = points_messages(request)
        points = await self._key_points(request, opening)
        return evaluation_messages(request, points, opening, answer_chars=self.answer_chars)

    async def _key_points(self, request: EvaluationRequest, opening: list[ChatMessage]) -> list[str]:
        spec = request.spec
        key = (spec.language, spec.role, spec.level, request.question.text)
        if key not in self._points:
            found = await generate_structured(
                self.backend,
                opening,
                points_schema(),
                KeyPoints,
                what=f"key points of question {request.question.id}",
                error=EvaluationFailed,
                attempts=self.attempts,
                temperature=self.temperature,
                max_tokens=POINTS_TOKENS,
                seed=self.seed,
            )
            self._points[key] = [p.strip() for p in found.points]
            while len(self._points) > CACHED_QUESTIONS:
                self._points.popitem(last=False)
        return self._points[key]

    def max_tokens_for(self, spec: InterviewSpec) -> int:
        """The output budget for one evaluation under ``spec``'s rubric."""
        return self.max_tokens or TOKENS_PER_DIMENSION * len(spec.rubric) + FIXED_TOKENS

    async def aclose(self) -> None:
        await self.backend.aclose()


def points_messages(request: EvaluationRequest) -> list[ChatMessage]:
    """The opening of an evaluation: a system prompt that depends only on language and rubric (so
    backends can reuse its cached prefix), and the question, asking for its key points."""
    spec = request.spec
    user = render(
        spec.language,
        "points.user",
        role=spec.role,
        level=spec.level,
        question=fence("question", request.question.text, new_nonce()),
    )
    system = render(spec.language, "evaluation.system", rubric=_rubric(spec))
    return [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]


def evaluation_messages(
    request: EvaluationRequest, points: list[str], opening: list[ChatMessage] | None = None, *,
    answer_chars: int = ANSWER_CHARS,
) -> list[ChatMessage]:
    """The whole evaluation chat: the opening, the key points as the model's reply, and the fenced
    answer (its first ``answer_chars`` characters) with the request to score it."""
    spec = request.spec
    nonce = new_nonce()
    user = render(
        spec.language,
        "evaluation.user",
        nonce=nonce,
        answer=fence("answer", request.answer.text, nonce, limit=answer_chars),
        keys=", ".join(d.key for d in spec.rubric),
    )
    return [
        *(opening or points_messages(request)),
        ChatMessage(role="assistant", content=json.dumps({"points": points}, ensure_ascii=False)),
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
