"""Emotion analysis is opt-in per interview, and its results never enter any score."""

from __future__ import annotations

from pathlib import Path

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from interview_engine import Engine, Settings
from interview_engine.errors import IllegalTransition
from interview_engine.models import (
    EMOTIONS,
    Answer,
    DimensionScore,
    EmotionSample,
    Evaluation,
    FaceBox,
    Interview,
    InterviewSpec,
    Question,
)
from interview_engine.report import build_report

SPEC = InterviewSpec(role="Data engineer", question_count=3, emotion_analysis=True)
INTERVIEW = Interview(id="iv", spec=SPEC)
QUESTIONS = [Question(id=f"q{i}", interview_id="iv", ordinal=i, kind="generated", text=f"Question {i}?")
             for i in range(3)]
ANSWERS = [Answer(id=f"a{i}", interview_id="iv", question_id=f"q{i}", text=f"Answer number {i}.") for i in range(3)]


@st.composite
def evaluations(draw: st.DrawFn) -> list[Evaluation]:
    out = []
    for answer in ANSWERS:
        status = draw(st.sampled_from(["done", "failed", "pending"]))
        base = {"answer_id": answer.id, "interview_id": "iv", "question_id": answer.question_id}
        if status == "done":
            scores = [DimensionScore(dimension=d.key, score=draw(st.integers(0, 100))) for d in SPEC.rubric]
            out.append(Evaluation(**base, status="done", scores=scores))
        elif status == "failed":
            out.append(Evaluation(**base, status="failed", reason="model gave up"))
    return out


@st.composite
def emotion_samples(draw: st.DrawFn) -> list[EmotionSample]:
    samples = []
    for _ in range(draw(st.integers(0, 12))):
        faces = draw(st.integers(0, 3))
        weights = draw(st.lists(st.floats(0.01, 1.0), min_size=7, max_size=7))
        emotions = {e: w / sum(weights) for e, w in zip(EMOTIONS, weights, strict=True)}
        samples.append(EmotionSample(
            interview_id="iv", t=draw(st.floats(0, 3600)), face_count=faces,
            question_id=draw(st.sampled_from([None, "q0", "q1", "q2"])),
            emotions=emotions if faces else None,
            dominant=max(emotions, key=emotions.__getitem__) if faces else None,  # type: ignore[arg-type]
            box=FaceBox(x=1, y=2, w=30, h=30) if faces else None,
        ))
    return samples


@hypothesis.settings(max_examples=150, deadline=None)
@given(evaluations(), emotion_samples(), emotion_samples(), st.booleans())
def test_emotions_never_change_any_score(
    evals: list[Evaluation], first: list[EmotionSample], second: list[EmotionSample], opt_in: bool
) -> None:
    interview = Interview(id="iv", spec=SPEC.model_copy(update={"emotion_analysis": opt_in}))
    reports = [build_report(interview, QUESTIONS, ANSWERS, evals, samples, evaluator_configured=True)
               for samples in (first, second, [])]
    scored = [r.model_dump(exclude={"emotions", "generated_at"}) for r in reports]
    assert scored[0] == scored[1] == scored[2]
    if opt_in:
        assert [r.emotions.samples for r in reports if r.emotions] == [len(first), len(second), 0]
    else:
        assert all(r.emotions is None for r in reports)


def test_the_emotion_timeline_is_kept_apart_from_scores() -> None:
    sample = EmotionSample(interview_id="iv", t=1.0, face_count=0)
    report = build_report(INTERVIEW, QUESTIONS, ANSWERS, [], [sample], evaluator_configured=False)
    assert report.emotions is not None and report.emotions.timeline == [sample]
    assert "never affects any score" in report.emotions.note


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The engine of tests/core/conftest.py, loading no installed plugin."""
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}", plugins="")


@pytest.mark.anyio
async def test_samples_are_refused_without_opt_in(engine: Engine) -> None:
    refused = await engine.start({"role": "Backend engineer", "question_count": 1})
    sample = EmotionSample(interview_id=refused.id, t=0.0, face_count=1)
    with pytest.raises(IllegalTransition):
        await refused.record_emotions([sample])
    assert await engine.store.list_emotion_samples(refused.id) == []

    accepted = await engine.start({"role": "Backend engineer", "question_count": 1, "emotion_analysis": True})
    kept = sample.model_copy(update={"interview_id": accepted.id})
    await accepted.record_emotions([kept])
    assert await engine.store.list_emotion_samples(accepted.id) == [kept]
