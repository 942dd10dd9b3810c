"""Property tests of report aggregation: weights, missing and failed evaluations, empty interviews."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from interview_engine.cli.render import report_text
from interview_engine.models import (
    Answer,
    Coverage,
    DimensionScore,
    Evaluation,
    Interview,
    InterviewSpec,
    Question,
    RubricDimension,
)
from interview_engine.report import (
    MIN_COVERAGE,
    NO_EVALUATOR_NOTE,
    answer_score,
    build_report,
    scores_needed,
    weighted_mean,
)

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
def test_overall_is_the_weighted_mean_of_dimension_means_when_enough_was_scored(case) -> None:  # type: ignore[no-untyped-def]
    interview, questions, answers, evaluations = case
    report = build_report(interview, questions, answers, evaluations, evaluator_configured=True)
    rubric = interview.spec.rubric
    done = [e for e in evaluations if e.status == "done"]
    means = []
    for dim, result in zip(rubric, report.dimensions, strict=True):
        scores = [e.score_for(dim.key).score for e in done]  # type: ignore[union-attr]
        assert result.evaluated_answers == len(scores)
        means.append(sum(scores) / len(scores) if scores else None)
        assert result.score == (None if not scores else round(means[-1], 1))  # type: ignore[arg-type]
    assert report.coverage == Coverage(planned=len(questions), follow_ups=0, answered=len(answers), scored=len(done),
                                       failed=sum(e.status == "failed" for e in evaluations), planned_scored=len(done))
    if not done or len(done) < scores_needed(len(questions)):
        assert report.overall_score is None and report.strengths == [] and report.improvements == []
        return
    expected = sum(d.weight * m for d, m in zip(rubric, means, strict=True)) / sum(  # type: ignore[operator]
        d.weight for d in rubric)
    assert report.overall_score is not None and math.isclose(report.overall_score, expected, abs_tol=0.05 + 1e-9)
    assert 0 <= report.overall_score <= 100


@given(interviews())
@settings(max_examples=200, deadline=None)
def test_every_score_a_report_holds_is_rounded(case) -> None:  # type: ignore[no-untyped-def]
    interview, questions, answers, evaluations = case
    report = build_report(interview, questions, answers, evaluations, evaluator_configured=True)
    shown = [report.overall_score, *(d.score for d in report.dimensions), *(r.score for r in report.questions)]
    assert all(s is None or s == round(s, 1) for s in shown)
    assert build_report(interview, questions, answers, evaluations, evaluator_configured=True).model_dump(
        exclude={"generated_at"}) == type(report).model_validate_json(report.model_dump_json()).model_dump(
        exclude={"generated_at"})


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


def _interview(planned: int, results: list[list[int] | str | None]):  # type: ignore[no-untyped-def]
    """An interview with ``planned`` questions; results per question: scores, "failed", or None (unanswered)."""
    interview = Interview(spec=InterviewSpec(role="r", question_count=planned))
    questions = [Question(interview_id=interview.id, ordinal=i, kind="generated", text=f"q{i}?")
                 for i in range(planned)]
    answers, evaluations = [], []
    for question, result in zip(questions, results, strict=False):
        if result is None:
            continue
        answer = Answer(interview_id=interview.id, question_id=question.id, text="an answer")
        answers.append(answer)
        base = {"answer_id": answer.id, "interview_id": interview.id, "question_id": question.id}
        if result == "failed":
            evaluations.append(Evaluation(**base, status="failed", reason="model down"))
        else:
            rubric = interview.spec.rubric
            scores = [DimensionScore(dimension=d.key, score=s) for d, s in zip(rubric, result, strict=True)]
            evaluations.append(Evaluation(**base, status="done", scores=scores))
    return interview, questions, answers, evaluations


def test_one_answer_of_five_is_not_an_interview_score() -> None:
    report = build_report(*_interview(5, [[95, 95, 95, 95]]), evaluator_configured=True)
    assert report.overall_score is None
    assert report.coverage == Coverage(planned=5, follow_ups=0, answered=1, scored=1, failed=0, planned_scored=1)
    assert report.strengths == [] and report.improvements == []
    assert all(d.score == 95 and d.evaluated_answers == 1 for d in report.dimensions)  # shown with their basis
    assert any("1 of 5 planned questions" in n and f"at least {scores_needed(5)}" in n for n in report.notes)


def test_failed_evaluations_count_against_coverage() -> None:
    report = build_report(*_interview(3, [[80] * 4, "failed", "failed"]), evaluator_configured=True)
    assert report.overall_score is None and report.coverage.failed == 2
    enough = build_report(*_interview(5, [[90] * 4, [80] * 4, [71] * 4, "failed", None]), evaluator_configured=True)
    assert enough.overall_score == 80.3 and enough.coverage.planned_scored == 3 == scores_needed(5)
    assert enough.strengths == [f"{d.name}: 80/100" for d in enough.dimensions]


def test_coverage_threshold() -> None:
    assert MIN_COVERAGE == Fraction(3, 5)
    assert [scores_needed(n) for n in (1, 2, 3, 4, 5, 10)] == [1, 2, 2, 3, 3, 6]


def test_a_follow_up_that_was_scored_covers_its_planned_question() -> None:
    interview, questions, answers, evaluations = _interview(2, ["failed", [70] * 4])
    follow_up = Question(interview_id=interview.id, ordinal=0, depth=1, kind="follow_up", text="why?",
                         parent_id=questions[0].id)
    answer = Answer(interview_id=interview.id, question_id=follow_up.id, text="because")
    scored = Evaluation(answer_id=answer.id, interview_id=interview.id, question_id=follow_up.id, status="done",
                        scores=[DimensionScore(dimension=d.key, score=90) for d in interview.spec.rubric])
    report = build_report(interview, [*questions, follow_up], [*answers, answer], [*evaluations, scored],
                          evaluator_configured=True)
    assert report.coverage == Coverage(planned=2, follow_ups=1, answered=3, scored=2, failed=1, planned_scored=2)
    assert report.overall_score == 80


def test_the_text_report_shows_coverage_beside_the_overall_score() -> None:
    text = report_text(build_report(*_interview(5, [[95] * 4]), evaluator_configured=True))
    assert "Overall: —  (1 of 5 planned questions scored; answered 1, scored 1, failed 0)" in text


def test_scores_are_rounded_in_the_stored_report() -> None:
    report = build_report(*_interview(1, [[92, 60, 70, 80]]), evaluator_configured=True)
    assert report.overall_score == 77.2 and report.questions[0].score == 77.2  # 77.19999999999999 unrounded
    assert '"overall_score":77.2' in report.model_dump_json()
