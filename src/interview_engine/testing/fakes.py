"""Scriptable fake providers for tests and benchmarks, in the style of llm's ``MockModel.enqueue``.

Each fake answers from its queue first and falls back to a sensible default; each records its calls.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable

import anyio

from ..errors import EvaluationFailed
from ..media.audio import aligned_pcm16, check_pcm16
from ..models import (
    EMOTIONS,
    DimensionScore,
    EmotionReading,
    EvaluationRequest,
    FaceBox,
    FaceEmotion,
    FollowUpRequest,
    QuestionDraft,
    QuestionPlanRequest,
    ScoreCard,
    Transcript,
    TranscriptEvent,
    TranscriptionOptions,
)
from ..providers import Frame, check_frame

ScoreScript = ScoreCard | BaseException | Callable[[EvaluationRequest], ScoreCard]


class FakeQuestionSource:
    """Yields enqueued questions (then numbered defaults); follows up with enqueued drafts."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self._questions: deque[QuestionDraft] = deque()
        self._follow_ups: deque[QuestionDraft | BaseException | None] = deque()
        self.plan_requests: list[QuestionPlanRequest] = []
        self.follow_up_requests: list[FollowUpRequest] = []

    def enqueue_questions(self, *texts: str, competency: str | None = None) -> None:
        self._questions.extend(QuestionDraft(text=t, competency=competency) for t in texts)

    def enqueue_follow_up(self, text: str | BaseException | None) -> None:
        """Queue the next follow-up decision: a question text, None to move on, or an error to raise."""
        item = QuestionDraft(text=text) if isinstance(text, str) else text
        self._follow_ups.append(item)

    async def first_questions(self, request: QuestionPlanRequest) -> AsyncIterator[QuestionDraft]:
        self.plan_requests.append(request)
        for i in range(request.count):
            if self.delay:
                await anyio.sleep(self.delay)
            if self._questions:
                yield self._questions.popleft()
            else:
                yield QuestionDraft(text=f"Question {i + 1} for the {request.spec.role} role?", competency="general")

    async def follow_up(self, request: FollowUpRequest) -> QuestionDraft | None:
        self.follow_up_requests.append(request)
        if self.delay:
            await anyio.sleep(self.delay)
        if not self._follow_ups:
            return None
        item = self._follow_ups.popleft()
        if isinstance(item, BaseException):
            raise item
        return item


class FakeEvaluator:
    """Scores every rubric dimension at ``default_score``, quoting the answer's first words as evidence,
    unless a scripted result (a ScoreCard, an exception or a function of the request) is enqueued."""

    def __init__(self, *, default_score: int = 70, delay: float = 0.0) -> None:
        self.default_score = default_score
        self.delay = delay
        self._script: deque[ScoreScript] = deque()
        self.requests: list[EvaluationRequest] = []

    def enqueue(self, *results: ScoreScript) -> None:
        self._script.extend(results)

    def fail_next(self, reason: str = "scripted failure") -> None:
        self.enqueue(EvaluationFailed(reason))

    async def evaluate(self, request: EvaluationRequest) -> ScoreCard:
        self.requests.append(request)
        if self.delay:
            await anyio.sleep(self.delay)
        if self._script:
            item = self._script.popleft()
            if isinstance(item, BaseException):
                raise item
            return item(request) if callable(item) else item
        return self.default_card(request, self.default_score)

    @staticmethod
    def default_card(request: EvaluationRequest, score: int) -> ScoreCard:
        quote = " ".join(request.answer.text.split()[:6])
        return ScoreCard(
            scores=[DimensionScore(dimension=d.key, score=score, evidence=[quote], rationale="fake")
                    for d in request.spec.rubric],
            feedback="Fake feedback.",
        )


class FakeTranscriber:
    """Consumes the audio, then emits each enqueued text as interim words and one final event.

    Takes chunks of any size; raises InvalidAudio for what is not 16-bit PCM, as real transcribers must.
    """

    def __init__(self) -> None:
        self._texts: deque[str] = deque()
        self.bytes_received = 0

    def enqueue(self, *texts: str) -> None:
        self._texts.extend(texts)

    async def stream(
        self, audio: AsyncIterable[bytes], options: TranscriptionOptions
    ) -> AsyncIterator[TranscriptEvent]:
        total = 0
        async for chunk in aligned_pcm16(audio):
            total += len(chunk)
        self.bytes_received += total
        seconds = total / (2 * options.sample_rate)
        text = self._texts.popleft() if self._texts else ""
        words = text.split()
        if options.interim_results:
            for n in range(1, len(words)):
                yield TranscriptEvent(kind="interim", text=" ".join(words[:n]), end=seconds)
        if text:
            yield TranscriptEvent(kind="final", text=text, start=0.0, end=seconds, confidence=0.9)
        yield TranscriptEvent(kind="utterance_end", end=seconds)

    async def transcribe(self, audio: bytes, options: TranscriptionOptions) -> Transcript:
        self.bytes_received += len(check_pcm16(audio))
        return Transcript(text=self._texts.popleft() if self._texts else "")


def reading(dominant: str = "neutral", *, faces: int = 1) -> EmotionReading:
    """An EmotionReading with ``faces`` faces, each mostly ``dominant``."""
    probs = {e: (0.7 if e == dominant else 0.05) for e in EMOTIONS}
    face = FaceEmotion(box=FaceBox(x=10, y=10, w=50, h=50), emotions=probs, dominant=dominant)
    return EmotionReading(faces=[face] * faces)


class FakeEmotionAnalyzer:
    """Returns enqueued readings; otherwise one neutral face in any frame that is not a single flat colour,
    and no face in a flat one. Rejects frames that are not HxWx3 uint8."""

    def __init__(self) -> None:
        self._readings: deque[EmotionReading] = deque()
        self.frames = 0

    def enqueue(self, *readings: EmotionReading) -> None:
        self._readings.extend(readings)

    async def analyze(self, frame: Frame) -> EmotionReading:
        check_frame(frame)
        self.frames += 1
        if self._readings:
            return self._readings.popleft()
        return reading() if frame.min() != frame.max() else EmotionReading()
