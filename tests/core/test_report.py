"""Property tests of report aggregation: weights, missing and failed evaluations, empty interviews."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from interview_engine.models import (
    Answer,
    DimensionScore,
    Evaluation,
    Interview,
    InterviewSpec,
    Question,
    RubricDimension,
)
from interview_engine.report import NO_EVALUATOR_NOTE, answer_score, build_report, weighted_mean

KEYS = ["a", "b", "c", "d"]

rubrics = st.lists(
    st.builds(lambda k, w: RubricDimension(key=k, name=k.upper(), weight=w),
              st.sampled_from(KEYS), st.floats(0.01, 100, allow_nan=False)),
    min_size=1, max_size=4, unique_by=lambda d: d.key,
)
outcomes = st.one_of(st.none(), st.just("pending"), st.just("failed"),
                     st.lists(st.integers(0, 100), min_size=4, max_size=4))


@st.composite
def interviews(draw):  # type: ignore[no-untyped-def]
    rubric = draw(rubrics)
    results = draw(st.lists(outcomes, max_size=6))
    interview = Interview(spec=InterviewSpec(role="r", question_count=max(1, len(results)), rubric=tuple(rubric)))
    questions, answers, evaluations = [], [], []
    for i, outcome in enumerate(results):
        q = Question(interview_id=interview.id, ordinal=i, kind="generated", text=f"q{i}?")
        questions.append(q)
        if outcome is None:
            continue  # unanswered
        a = Answer(interview_id=interview.id, question_id=q.id, text=f"answer {i}")
        answers.append(a)
        base = {"answer_id": a.id, "interview_id": interview.id, "question_id": q.id}
        if outcome == "pending":
            evaluations.append(Evaluation(**base))
        elif outcome == "failed":
            evaluations.append(Evaluation(**base, status="failed", reason="broken"))
        else:
            scores = [DimensionScore(dimension=d.key, score=s) for d, s in zip(rubric, outcome, strict=False)]
            evaluations.append(Evaluation(**base, status="done", scores=scores))
    return interview, questions, answers, evaluations


@given(interviews())
@settings(max_examples=300, deadline=None)
def test_overall_is_the_weighted_mean_of_dimension_means(case) -> None:  # type: ignore[no-untyped-def]
    interview, questions, answers, evaluations = case
    report = build_report(interview, questions, answers, evaluations, evaluator_configured=True)
    rubric = interview.spec.rubric
    done = [e for e in evaluations if e.status == "done"]
    for dim, result in zip(rubric, report.dimensions, strict=True):
        scores = [e.score_for(dim.key).score for e in done]  # type: ignore[union-attr]
        assert result.evaluated_answers == len(scores)
        assert result.score == (sum(scores) / len(scores) if scores else None)
    if not done:
        assert report.overall_score is None
        return
    expected = sum(d.weight * r.score for d, r in zip(rubric, report.dimensions, strict=True)) / sum(
        d.weight for d in rubric)  # type: ignore[operator]
    assert report.overall_score is not None and math.isclose(report.overall_score, expected)
    assert 0 <= report.overall_score <= 100


@given(interviews())
@settings(max_examples=200, deadline=None)
def test_failed_and_pending_evaluations_never_score(case) -> None:  # type: ignore[no-untyped-def]
    interview, questions, answers, evaluations = case
    report = build_report(interview, questions, answers, evaluations, evaluator_configured=True)
    for result in report.questions:
        if result.evaluation is None or result.evaluation.status != "done":
            assert result.score is None
    failed = sum(e.status == "failed" for e in evaluations)
    assert sum("could not be evaluated" in n for n in report.notes) == failed
    unanswered = len(questions) - len(answers)
    assert any(f"{unanswered} of" in n for n in report.notes) == bool(unanswered)


@given(interviews())
@settings(max_examples=100, deadline=None)
def test_without_an_evaluator_the_report_says_so(case) -> None:  # type: ignore[no-untyped-def]
    interview, questions, answers, _ = case
    report = build_report(interview, questions, answers, [], evaluator_configured=False)
    assert report.overall_score is None and report.notes[0] == NO_EVALUATOR_NOTE
    assert report.strengths == [] and report.improvements == []


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0.01, 100)), min_size=1))
def test_weighted_mean_is_bounded_and_scale_free(pairs: list[tuple[float, float]]) -> None:
    mean = weighted_mean(pairs)
    assert mean is not None and min(v for v, _ in pairs) - 1e-9 <= mean <= max(v for v, _ in pairs) + 1e-9
    scaled = weighted_mean([(v, w * 7) for v, w in pairs])
    assert scaled is not None and math.isclose(mean, scaled, rel_tol=1e-9, abs_tol=1e-9)


def test_weights_shift_the_overall_score() -> None:
    rubric = (RubricDimension(key="a", name="A", weight=3), RubricDimension(key="b", name="B", weight=1))
    interview = Interview(spec=InterviewSpec(role="r", question_count=1, rubric=rubric))
    q = Question(interview_id=interview.id, ordinal=0, kind="generated", text="q?")
    a = Answer(interview_id=interview.id, question_id=q.id, text="x")
    e = Evaluation(answer_id=a.id, interview_id=interview.id, question_id=q.id, status="done",
                   scores=[DimensionScore(dimension="a", score=100), DimensionScore(dimension="b", score=0)])
    report = build_report(interview, [q], [a], [e], evaluator_configured=True)
    assert report.overall_score == 75 == answer_score(e, rubric)
    assert report.strengths == ["A: 100/100"] and report.improvements == ["B: 0/100"]


def test_empty_interview() -> None:
    interview = Interview(spec=InterviewSpec(role="r", question_count=1))
    report = build_report(interview, [], [], [], evaluator_configured=True)
    assert report.overall_score is None and report.questions == []
    assert all(d.score is None and d.evaluated_answers == 0 for d in report.dimensions)
    assert report.emotions is None
