"""The provider protocols: what a plugin implements to be a question source, evaluator, transcriber,
emotion analyzer or store (``interview_engine.store.Store``). All are async; slow work (model inference,
image decoding) belongs in a worker thread or process, never on the event loop.

Providers may also define ``async def aclose(self) -> None``; the engine calls it on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from .errors import InvalidFrame
from .models import (
    EmotionReading,
    EvaluationRequest,
    FollowUpRequest,
    InterviewSpec,
    Question,
    QuestionDraft,
    QuestionPlanRequest,
    ScoreCard,
    Transcript,
    TranscriptEvent,
    TranscriptionOptions,
)
from .store.base import Store

if TYPE_CHECKING:  # numpy is imported by whoever makes frames, not by importing the SDK
    import numpy as np
    import numpy.typing as npt

Frame: TypeAlias = "npt.NDArray[np.uint8]"
"""A video frame: height x width x 3, RGB, uint8."""


@runtime_checkable
class QuestionSource(Protocol):
    """Plans the first questions of an interview and decides on adaptive follow-ups."""

    def first_questions(self, request: QuestionPlanRequest) -> AsyncIterator[QuestionDraft]:
        """Yield up to ``request.count`` questions, each as soon as it is ready, none of ``request.avoid``:
        implement it as an async generator (``async def first_questions(self, request): ... yield draft``)."""
        ...

    async def follow_up(self, request: FollowUpRequest) -> QuestionDraft | None:
        """Return a follow-up to ``request.answer``, or None to move on."""
        ...


@runtime_checkable
class Evaluator(Protocol):
    """Scores one answer against the rubric, quoting the answer as evidence."""

    async def evaluate(self, request: EvaluationRequest) -> ScoreCard:
        """Score every dimension of ``request.spec.rubric`` from 0 to 100, with quotes from
        ``request.answer.text``; raise ``EvaluationFailed`` to give up (the engine records the reason)."""
        ...


@runtime_checkable
class PreparingEvaluator(Evaluator, Protocol):
    """An Evaluator that can do the work depending only on a question (an LLM's key points) when the
    question is asked, before any answer to it. Optional: the engine calls ``prepare`` in the background
    on each question asked when its evaluator has it; no candidate waits for it."""

    async def prepare(self, spec: InterviewSpec, question: Question) -> None:
        """Get ready to evaluate answers to ``question``. A failure is logged and ignored: ``evaluate``
        must still do whatever this did not."""
        ...


@runtime_checkable
class Transcriber(Protocol):
    """Speech to text. Audio is 16 kHz mono s16le PCM in chunks of any size."""

    def stream(
        self, audio: AsyncIterable[bytes], options: TranscriptionOptions
    ) -> AsyncIterator[TranscriptEvent]:
        """Transcribe live audio, yielding interim and final events until the audio ends: an async
        generator, like ``QuestionSource.first_questions``."""
        ...

    async def transcribe(self, audio: bytes, options: TranscriptionOptions) -> Transcript:
        """Transcribe a whole recording (an uploaded answer)."""
        ...


@runtime_checkable
class EmotionAnalyzer(Protocol):
    """Reads facial expression in one frame. Used only when an interview opts in."""

    async def analyze(self, frame: Frame) -> EmotionReading:
        """Every face in ``frame`` (HxWx3 RGB uint8), largest first; no face is an empty reading."""
        ...


ProviderFactory = Callable[..., Any]
"""Builds a provider from its options (keyword arguments from settings)."""

FAMILIES: dict[str, type] = {
    "question_source": QuestionSource,
    "evaluator": Evaluator,
    "transcriber": Transcriber,
    "emotion_analyzer": EmotionAnalyzer,
    "store": Store,
}
"""Provider family -> the protocol every provider of it implements. ``ProviderRegistry.create`` checks
each provider it builds against it (the methods are there; their behaviour is the conformance suite's)."""


def check_frame(frame: object) -> None:
    """Raise InvalidFrame unless ``frame`` is a non-empty HxWx3 uint8 array."""
    shape = getattr(frame, "shape", None)
    dtype = getattr(frame, "dtype", None)
    if shape is None or len(shape) != 3 or shape[2] != 3 or 0 in shape[:2] or str(dtype) != "uint8":
        raise InvalidFrame(f"expected an HxWx3 uint8 RGB frame, got {dtype or type(frame).__name__} {shape}")


async def aclose_provider(provider: object) -> None:
    """Close a provider if it has an ``aclose`` coroutine."""
    close = getattr(provider, "aclose", None)
    if close is not None:
        await close()
