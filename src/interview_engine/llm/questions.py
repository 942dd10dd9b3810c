"""LLMQuestionSource: first questions streamed one by one, and follow-up decisions, from any ChatBackend."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from pydantic import ValidationError

from ..errors import ProviderError
from ..models import FollowUpRequest, QuestionDraft, QuestionPlanRequest, Turn, normalize_for_match
from .backend import ChatBackend, ChatMessage
from .prompts import fence, new_nonce, render
from .schemas import FollowUpDecision, PlannedQuestion, follow_up_schema, questions_schema
from .structured import DEFAULT_ATTEMPTS, ItemScanner, attempt_request, generate_structured

log = logging.getLogger(__name__)

MATERIAL_CHARS = 4_000
"""Job description and resume are cut to this many characters each, to fit small context windows."""
HISTORY_TURNS = 4
HISTORY_ANSWER_CHARS = 400
ANSWER_CHARS = 6_000
TOKENS_PER_QUESTION = 120


class LLMQuestionSource:
    """A QuestionSource on a chat model: plans grounded first questions (streamed: each is yielded as
    soon as the model closes it) and decides on follow-ups.

    ``attempts`` bounds generations per call; ``temperature`` is the first attempt's (retries run warmer).
    """

    def __init__(
        self,
        backend: ChatBackend,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        temperature: float = 0.7,
        seed: int | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.backend = backend
        self.attempts = attempts
        self.temperature = temperature
        self.seed = seed

    async def first_questions(self, request: QuestionPlanRequest) -> AsyncIterator[QuestionDraft]:
        """Yield up to ``request.count`` questions. Raises ProviderError when the model produced none."""
        planned: list[str] = []
        seen = {normalize_for_match(q) for q in request.avoid}
        for attempt in range(self.attempts):
            missing = request.count - len(planned)
            if missing <= 0:
                return
            async for draft in self._plan_once(request, planned, missing, attempt):
                key = normalize_for_match(draft.text)
                if key in seen:
                    log.info("dropping a repeated question: %.80s", draft.text)
                    continue
                seen.add(key)
                planned.append(draft.text)
                yield draft
                if len(planned) == request.count:
                    return
        if request.count and not planned:
            raise ProviderError(
                f"{self.backend.model_name} planned no valid question in {self.attempts} attempts"
            )
        if len(planned) < request.count:
            log.warning("planned %d of %d questions", len(planned), request.count)

    async def _plan_once(
        self, request: QuestionPlanRequest, planned: list[str], count: int, attempt: int
    ) -> AsyncIterator[QuestionDraft]:
        spec = request.spec
        nonce = new_nonce()
        user = render(
            spec.language,
            "questions.user",
            role=spec.role,
            level=spec.level,
            count=count,
            job_description=fence(
                "job_description", spec.job_description or "-", nonce, limit=MATERIAL_CHARS
            ),
            resume=fence("resume", spec.resume or "-", nonce, limit=MATERIAL_CHARS),
            avoid=fence("avoid", _bullets(request.avoid), nonce),
            planned=fence("planned", _bullets(planned), nonce),
        )
        messages = [
            ChatMessage(role="system", content=render(spec.language, "questions.system")),
            ChatMessage(role="user", content=user),
        ]
        generation = attempt_request(
            messages,
            questions_schema(count),
            attempt=attempt,
            temperature=self.temperature,
            max_tokens=40 + TOKENS_PER_QUESTION * count,
            seed=self.seed,
        )
        scanner = ItemScanner()
        chunks = self.backend.stream(generation)
        try:
            async for chunk in chunks:
                for item in scanner.feed(chunk):
                    try:
                        question = PlannedQuestion.model_validate(item)
                    except ValidationError as exc:
                        log.warning("skipping an invalid planned question: %s", exc.errors()[0]["msg"])
                        continue
                    yield QuestionDraft(
                        text=question.text.strip(),
                        competency=question.competency.strip()[:80] or None,
                    )
        finally:  # stop the generation when the caller stops early (an async generator's aclose)
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()

    async def follow_up(self, request: FollowUpRequest) -> QuestionDraft | None:
        """A follow-up to the last answer, or None to move on. Raises ProviderError on repeated invalid
        output (the session then moves on)."""
        spec = request.spec
        nonce = new_nonce()
        user = render(
            spec.language,
            "follow_up.user",
            role=spec.role,
            level=spec.level,
            left=request.follow_ups_left,
            history=fence("history", _history(request.history, request.question.id), nonce),
            question=fence("question", request.question.text, nonce),
            answer=fence("answer", request.answer.text, nonce, limit=ANSWER_CHARS),
            nonce=nonce,
        )
        messages = [
            ChatMessage(role="system", content=render(spec.language, "follow_up.system")),
            ChatMessage(role="user", content=user),
        ]
        decision = await generate_structured(
            self.backend,
            messages,
            follow_up_schema(),
            FollowUpDecision,
            what="follow-up",
            error=ProviderError,
            attempts=self.attempts,
            temperature=self.temperature,
            max_tokens=TOKENS_PER_QUESTION,
            seed=self.seed,
        )
        if not decision.follow_up:
            return None
        return QuestionDraft(text=decision.question.strip(), competency=request.question.competency)

    async def aclose(self) -> None:
        await self.backend.aclose()


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items) or "-"


def _history(turns: list[Turn], current_id: str) -> str:
    lines = []
    for turn in [t for t in turns if t.question.id != current_id and t.answer][-HISTORY_TURNS:]:
        answer = turn.answer.text if turn.answer else ""
        lines.append(f"Q: {turn.question.text}\nA: {answer[:HISTORY_ANSWER_CHARS]}")
    return "\n\n".join(lines) or "-"
