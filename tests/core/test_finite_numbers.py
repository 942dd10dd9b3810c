"""Non-finite numbers (inf, NaN) never reach the store: every model that carries a float refuses them, the
Session turns them into typed errors, and the interview goes on normally afterwards, on Postgres too."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from interview_engine import Engine, InvalidAnswer, InvalidSample
from interview_engine.models import (
    Answer,
    EmotionSample,
    FaceBox,
    FaceEmotion,
    RubricDimension,
    TranscriptEvent,
    TranscriptSegment,
)
from interview_engine.testing import reading

pytestmark = pytest.mark.anyio

ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."
NON_FINITE = [math.inf, -math.inf, math.nan]
PROBABILITIES = {e: 1 / 7 for e in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")}

MODELS: dict[str, Callable[[float], Any]] = {
    "answer duration": lambda x: Answer(interview_id="i", question_id="q", text="x", duration_s=x),
    "segment start": lambda x: TranscriptSegment(text="x", start=x, end=1),
    "segment end": lambda x: TranscriptSegment(text="x", start=0, end=x),
    "segment confidence": lambda x: TranscriptSegment(text="x", start=0, end=1, confidence=x),
    "event end": lambda x: TranscriptEvent(kind="final", text="x", end=x),
    "sample time": lambda x: EmotionSample(interview_id="i", t=x, face_count=0),
    "sample emotion": lambda x: EmotionSample(interview_id="i", t=0, face_count=1,
                                              emotions={**PROBABILITIES, "happy": x}),
    "face emotion": lambda x: FaceEmotion(box=FaceBox(x=0, y=0, w=1, h=1), emotions={**PROBABILITIES, "sad": x},
                                          dominant="sad"),
    "rubric weight": lambda x: RubricDimension(key="k", name="K", weight=x),
}


@pytest.mark.parametrize("value", NON_FINITE, ids=str)
@pytest.mark.parametrize("build", MODELS.values(), ids=list(MODELS))
def test_models_refuse_non_finite_numbers(build: Callable[[float], Any], value: float) -> None:
    with pytest.raises(ValidationError, match="finite"):
        build(value)


@pytest.mark.parametrize("value", NON_FINITE, ids=str)
async def test_answers_with_non_finite_numbers_are_invalid_and_the_interview_goes_on(
    db_engine: Engine, value: float
) -> None:
    session = await db_engine.start({"role": "backend", "question_count": 2, "emotion_analysis": True})
    question = session.current_question
    assert question is not None
    forged = TranscriptSegment.model_construct(text="x", start=0.0, end=value, confidence=None)  # skips checks
    bad_calls = [
        session.answer(question.id, ANSWER, source="speech", duration_s=value),
        session.answer(question.id, ANSWER, source="speech", segments=[forged]),
        session.answer(question.id, ANSWER, source="speech", segments=[{"text": "x", "start": value, "end": 1}]),  # type: ignore[list-item]
    ]
    for call in bad_calls:
        with pytest.raises(InvalidAnswer, match="finite"):
            await call
    forged_sample = EmotionSample.model_construct(interview_id=session.id, question_id=None, t=value,
                                                  face_count=0, emotions=None, dominant=None, box=None)
    with pytest.raises(InvalidSample, match="finite"):
        await session.record_emotions([forged_sample])
    assert await db_engine.store.list_answers(session.id) == []
    assert await db_engine.store.list_emotion_samples(session.id) == []

    good = TranscriptSegment(text="index", start=0.0, end=1.5, confidence=0.9)
    await session.answer(question.id, ANSWER, source="speech", duration_s=1.5, segments=[good])
    await session.record_emotions([EmotionSample.from_reading(reading("happy"), interview_id=session.id, t=2.0)])
    await session.finish()
    report = await session.report(timeout=10)
    assert report.questions[0].answer is not None and report.questions[0].answer.segments == [good]
    resumed = await db_engine.resume(session.id)
    assert resumed.finished and (await resumed.report(wait=False)) == report


async def test_samples_of_another_interview_are_invalid(engine: Engine) -> None:
    session = await engine.start({"role": "backend", "question_count": 1, "emotion_analysis": True})
    with pytest.raises(InvalidSample, match="another interview"):
        await session.record_emotions([EmotionSample(interview_id="elsewhere", t=0, face_count=0)])
