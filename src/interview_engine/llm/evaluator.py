"""LLMEvaluator: scores one answer on the interview's weighted rubric with verbatim evidence quotes.

The engine grounds what this returns (``interview_engine.grounding``): invented quotes are dropped,
unsupported and short answers capped. This module only asks well, validates the shape and reads what the
model judged: on a backend that reports log-probabilities, each judgement (relevance, key points
covered, verdict, ratings) is its expectation under the model's distribution
(``interview_engine.llm.ratings``), which separates answers a sampled value would tie; elsewhere, the
sampled value. ``interview_engine.llm.judgement`` turns the judgements into scores.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict

import anyio

from ..errors import EvaluationFailed
from ..models import MAX_ANSWER_CHARS, DimensionScore, EvaluationRequest, InterviewSpec, Question, ScoreCard
from .backend import ChatBackend, ChatMessage
from .judgement import VERDICT_RATINGS, Judgement, judged_scores
from .prompts import fence, new_nonce, render, stable_nonce
from .ratings import expected_rating, expected_value, probability_true, value_offsets
from .schemas import KeyPoints, RawScoreCard, evaluation_budget, evaluation_schema, points_schema
from .structured import DEFAULT_ATTEMPTS, complete_structured, generate_structured

log = logging.getLogger(__name__)

ANSWER_CHARS = MAX_ANSWER_CHARS
"""By default the evaluator reads the whole of the longest answer accepted. With Qwen2.5's tokenizer,
20,000 characters make a scoring prompt of about 5,600 tokens in English and 12,700 in Korean
(bench/prompt_tokens.py), so a model with a smaller context window needs ``answer_chars``."""
POINTS_TOKENS = 120
TOP_LOGPROBS = 10
"""Alternatives asked for at each token: enough to hold every rating the model gives weight to."""
CACHED_QUESTIONS = 256

PointsKey = tuple[str, ...]


class LLMEvaluator:
    """An Evaluator on a chat model, in two steps of one conversation: the model first lists the key
    points a strong answer to the question makes (before it sees the answer; remembered per question,
    and worked out as soon as the question is asked where the engine calls ``prepare``), then judges
    whether the answer addresses the question, marks which points it covers, gives a verdict and rates
    each rubric dimension with a quote; ``interview_engine.llm.judgement`` turns that into scores.

    The conversation opens the same way (system prompt, question, key points) for every answer to one
    question, so a backend that caches prompt prefixes computes that part once.

    After ``attempts`` invalid outputs it raises EvaluationFailed with the reason, which the session
    records on the evaluation. ``max_tokens`` overrides the scoring step's output budget (which
    otherwise fits the longest output the schema allows). ``answer_chars`` cuts answers longer than that
    for a model with a short context; the score card then says how much was read
    (``ScoreCard.read_chars``) and the evaluation is flagged."""

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
        self._points: OrderedDict[PointsKey, list[str]] = OrderedDict()
        self._finding: dict[PointsKey, anyio.Event] = {}

    async def prepare(self, spec: InterviewSpec, question: Question) -> None:
        """Work out the key points of ``question`` now, so the evaluation of its first answer need not."""
        await self.key_points(spec, question)

    async def evaluate(self, request: EvaluationRequest) -> ScoreCard:
        return self.score_card(request, *await self.judge(request))

    def score_card(self, request: EvaluationRequest, raw: RawScoreCard, judgement: Judgement) -> ScoreCard:
        """The scores (``judgement.judged_scores``), quotes and feedback of one answer."""
        scores = judged_scores(judgement)
        cards = [DimensionScore(dimension=d.key, score=scores[d.key],
                                evidence=[q.strip() for q in raw.scores[d.key].evidence if q.strip()])
                 for d in request.spec.rubric]
        read = min(len(request.answer.text), self.answer_chars)
        cut = read < len(request.answer.text)
        return ScoreCard(scores=cards, feedback=raw.feedback.strip(), read_chars=read if cut else None)

    async def judge(self, request: EvaluationRequest) -> tuple[RawScoreCard, Judgement]:
        """The model's output for one answer, and what it judged, read from its log-probabilities where
        the backend gives them."""
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
            max_tokens=self.max_tokens_for(spec, read),
            seed=self.seed,
            check=lambda card: _check_card(card, spec),
            top_logprobs=TOP_LOGPROBS,
        )
        tokens = completion.tokens
        offsets = value_offsets(completion.text) if tokens else {}
        covered = [probability_true(tokens, offsets.get(("covered", i)), c) for i, c in enumerate(raw.covered)]
        judgement = Judgement(
            relevance=probability_true(tokens, offsets.get(("answers_question",)), raw.answers_question),
            coverage=sum(covered) / len(covered),
            verdict=expected_value(tokens, offsets.get(("verdict",)), VERDICT_RATINGS, raw.verdict),
            ratings={d.key: expected_rating(tokens, offsets.get(("scores", d.key, "rating")),
                                            raw.scores[d.key].rating) for d in spec.rubric},
        )
        return raw, judgement

    async def scoring_messages(self, request: EvaluationRequest) -> list[ChatMessage]:
        """The chat for the scoring step, asking for the question's key points first if not yet known."""
        points = await self.key_points(request.spec, request.question)
        return evaluation_messages(request, points, answer_chars=self.answer_chars)

    async def key_points(self, spec: InterviewSpec, question: Question) -> list[str]:
        """The key points of ``question``: remembered, else asked for once however many callers want
        them at the same time (one that fails leaves the next caller to ask)."""
        key = (spec.language, spec.role, spec.level, question.text)
        while key not in self._points:
            finding = self._finding.get(key)
            if finding is None:
                self._finding[key] = anyio.Event()
                try:
                    points = await self._find_points(spec, question)
                finally:
                    self._finding.pop(key).set()
                self._points[key] = points
                while len(self._points) > CACHED_QUESTIONS:
                    self._points.popitem(last=False)
                return points
            await finding.wait()
        self._points.move_to_end(key)
        return self._points[key]

    async def _find_points(self, spec: InterviewSpec, question: Question) -> list[str]:
        found = await generate_structured(
            self.backend,
            points_messages(spec, question),
            points_schema(),
            KeyPoints,
            what=f"key points of question {question.id}",
            error=EvaluationFailed,
            attempts=self.attempts,
            temperature=self.temperature,
            max_tokens=POINTS_TOKENS,
            seed=self.seed,
        )
        return [p.strip() for p in found.points]

    def max_tokens_for(self, spec: InterviewSpec, answer: str | None = None) -> int:
        """The output budget for one evaluation of ``answer`` (any answer if None) under ``spec``."""
        return self.max_tokens or evaluation_budget(spec, answer)

    async def aclose(self) -> None:
        await self.backend.aclose()


def points_messages(spec: InterviewSpec, question: Question) -> list[ChatMessage]:
    """The opening of an evaluation, the same for every answer to ``question``: a system prompt that
    depends only on language and rubric, and the question (fenced with a nonce fixed for its text),
    asking for its key points."""
    user = render(
        spec.language,
        "points.user",
        role=spec.role,
        level=spec.level,
        question=fence("question", question.text, stable_nonce(question.text)),
    )
    system = render(spec.language, "evaluation.system", rubric=_rubric(spec))
    return [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]


def evaluation_messages(
    request: EvaluationRequest, points: list[str], *, answer_chars: int = ANSWER_CHARS,
) -> list[ChatMessage]:
    """The whole evaluation chat: the opening, the key points as the model's reply, and the fenced
    answer (its first ``answer_chars`` characters, under a fresh random nonce) with the request to
    score it."""
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
        *points_messages(spec, request.question),
        ChatMessage(role="assistant", content=json.dumps({"points": points}, ensure_ascii=False)),
        ChatMessage(role="user", content=user),
    ]


def _check_card(card: RawScoreCard, spec: InterviewSpec) -> None:
    missing = [d.key for d in spec.rubric if d.key not in card.scores]
    if missing:
        raise ValueError(f"rubric dimensions not scored: {', '.join(missing)}")
    if not card.covered:
        raise ValueError("covered: no key point marked")


def _rubric(spec: InterviewSpec) -> str:
    total = sum(d.weight for d in spec.rubric)
    return "\n".join(
        f"- {d.key} ({d.name}, weight {d.weight / total:.0%}){': ' + d.description if d.description else ''}"
        for d in spec.rubric
    )
