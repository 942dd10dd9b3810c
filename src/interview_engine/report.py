"""Evaluations and emotion samples -> Report. Pure functions, no I/O.

Scores come only from done evaluations. Emotions are summarised apart and never read by any score.

A report must not present a few answers as a whole interview. It always shows its coverage (questions
planned, follow-ups, answered, scored, failed). Dimension scores are means over the scored answers and
say how many answers they rest on. The overall score, and the strengths and areas to improve drawn from
the dimensions, are given only when at least ``MIN_COVERAGE`` of the planned questions have a scored
answer (``scores_needed``: 3 of 5, 2 of 3, 1 of 1); below that the overall score is None and a note says
how many were scored and how many it takes. Unanswered questions and failed evaluations count against
coverage but never as a score of 0.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from .models import (
    Answer,
    Coverage,
    DimensionResult,
    EmotionSample,
    EmotionSummary,
    Evaluation,
    Interview,
    ProctoringSignal,
    Question,
    QuestionResult,
    Report,
    RubricDimension,
)

STRENGTH_AT = 75.0
IMPROVE_BELOW = 60.0
MIN_COVERAGE = Fraction(3, 5)
"""Share of the planned questions that must have a scored answer for an overall score."""
NO_EVALUATOR_NOTE = "No evaluator is configured: answers were recorded but not scored."


def scores_needed(planned: int) -> int:
    """How many planned questions must have a scored answer for an overall score."""
    return math.ceil(MIN_COVERAGE * planned)


def coverage(questions: Sequence[Question], answers: Sequence[Answer], evaluations: Sequence[Evaluation]) -> Coverage:
    """What the scores of an interview rest on (see the module docstring)."""
    ordinal = {q.id: q.ordinal for q in questions}
    answered = [a for a in answers if a.question_id in ordinal]
    status = {e.answer_id: e.status for e in evaluations}
    scored = [a for a in answered if status.get(a.id) == "done"]
    return Coverage(
        planned=sum(q.depth == 0 for q in questions),
        follow_ups=sum(q.depth > 0 for q in questions),
        answered=len(answered),
        scored=len(scored),
        failed=sum(status.get(a.id) == "failed" for a in answered),
        planned_scored=len({ordinal[a.question_id] for a in scored}),
    )


def weighted_mean(values: Sequence[tuple[float, float]]) -> float | None:
    """Mean of (value, weight) pairs, or None for no pairs."""
    total = sum(w for _, w in values)
    if not values or total <= 0:
        return None
    mean = sum(v * w for v, w in values) / total
    return min(max(mean, min(v for v, _ in values)), max(v for v, _ in values))  # no rounding drift past the ends


def answer_score(evaluation: Evaluation, rubric: Sequence[RubricDimension]) -> float | None:
    """The rubric-weighted score of one done evaluation."""
    if evaluation.status != "done":
        return None
    pairs = []
    for dim in rubric:
        scored = evaluation.score_for(dim.key)
        if scored is not None:
            pairs.append((float(scored.score), dim.weight))
    return weighted_mean(pairs)


def dimension_scores(rubric: Sequence[RubricDimension], evaluations: Sequence[Evaluation]) -> list[list[int]]:
    """Per dimension, its scores in the done evaluations."""
    done = [e for e in evaluations if e.status == "done"]
    return [[s.score for e in done if (s := e.score_for(dim.key)) is not None] for dim in rubric]


def dimension_results(
    rubric: Sequence[RubricDimension], evaluations: Sequence[Evaluation]
) -> list[DimensionResult]:
    """Per dimension, the mean score over done evaluations."""
    return [
        DimensionResult(key=dim.key, name=dim.name, weight=dim.weight,
                        score=sum(scores) / len(scores) if scores else None, evaluated_answers=len(scores))
        for dim, scores in zip(rubric, dimension_scores(rubric, evaluations), strict=True)
    ]


def summarize_emotions(samples: Sequence[EmotionSample]) -> EmotionSummary:
    """Share of each dominant emotion and proctoring signals (runs of no face / several faces)."""
    ordered = sorted(samples, key=lambda s: s.t)
    with_face = [s.dominant for s in ordered if s.dominant is not None]
    counts = Counter(with_face)
    share = {emotion: n / len(with_face) for emotion, n in sorted(counts.items())}
    signals: list[ProctoringSignal] = []
    previous: str | None = None
    for sample in ordered:
        kind = "no_face" if sample.face_count == 0 else "multiple_faces" if sample.face_count > 1 else None
        if kind is not None and kind != previous:
            signals.append(ProctoringSignal(t=sample.t, kind=kind, question_id=sample.question_id))
        previous = kind
    return EmotionSummary(samples=len(ordered), dominant_share=share, timeline=ordered, proctoring=signals)


def build_report(
    interview: Interview,
    questions: Sequence[Question],
    answers: Sequence[Answer],
    evaluations: Sequence[Evaluation],
    emotion_samples: Sequence[EmotionSample] = (),
    *,
    evaluator_configured: bool,
) -> Report:
    """Assemble the recruiter's report. Never shows a score no evaluator produced."""
    spec = interview.spec
    answer_by_question = {a.question_id: a for a in answers}
    evaluation_by_answer = {e.answer_id: e for e in evaluations}
    results = []
    for question in sorted(questions, key=lambda q: q.sort_key):
        answer = answer_by_question.get(question.id)
        evaluation = evaluation_by_answer.get(answer.id) if answer else None
        score = answer_score(evaluation, spec.rubric) if evaluation else None
        results.append(QuestionResult(question=question, answer=answer, evaluation=evaluation, score=score))
    settled = [evaluation_by_answer[a.id] for a in answers if a.id in evaluation_by_answer]
    dimensions = dimension_results(spec.rubric, settled)
    covered = coverage(questions, answers, settled)
    enough = covered.scored > 0 and covered.planned_scored >= scores_needed(covered.planned)
    means = [(sum(scores) / len(scores), d.weight)
             for d, scores in zip(spec.rubric, dimension_scores(spec.rubric, settled), strict=True) if scores]
    overall = weighted_mean(means) if enough else None  # from unrounded means; the model rounds once
    notes = _notes(results, settled, evaluator_configured, covered)
    rated = [d for d in dimensions if d.score is not None] if enough else []
    strengths = [f"{d.name}: {d.score:.0f}/100" for d in rated if d.score is not None and d.score >= STRENGTH_AT]
    improvements = [f"{d.name}: {d.score:.0f}/100" for d in rated if d.score is not None and d.score < IMPROVE_BELOW]
    return Report(
        interview_id=interview.id,
        role=spec.role,
        level=spec.level,
        language=spec.language,
        evaluator_configured=evaluator_configured,
        overall_score=overall,
        coverage=covered,
        dimensions=dimensions,
        questions=results,
        strengths=strengths,
        improvements=improvements,
        notes=notes,
        emotions=summarize_emotions(emotion_samples) if spec.emotion_analysis else None,
    )


def _notes(
    results: Sequence[QuestionResult], settled: Sequence[Evaluation], evaluator_configured: bool, covered: Coverage
) -> list[str]:
    notes = []
    if not evaluator_configured:
        notes.append(NO_EVALUATOR_NOTE)
    from_bank = sum(1 for r in results if r.question.kind == "bank")
    if from_bank:
        notes.append(f"{from_bank} of {covered.planned} planned questions came from the built-in question bank: "
                     "the question source failed to plan them or was not ready in time.")
    unanswered = sum(1 for r in results if r.answer is None)
    if unanswered:
        notes.append(f"{unanswered} of {len(results)} questions were not answered.")
    for evaluation in settled:
        if evaluation.status == "failed":
            notes.append(f"An answer could not be evaluated: {evaluation.reason}")
    for number, result in enumerate(results, start=1):
        flags = result.evaluation.flags if result.evaluation is not None else []
        if "addressed_evaluator" in flags:
            notes.append(f"The answer to question {number} contains text addressed to the evaluator (possible "
                         "prompt injection); that text was not sent to the evaluator and earned nothing. Review it.")
        if "answer_truncated" in flags:
            notes.append(f"The answer to question {number} is longer than the evaluator reads; only its beginning "
                         "was scored.")
    if evaluator_configured and results and not any(e.status == "done" for e in settled):
        notes.append("No answer was scored, so there is no overall score.")
    elif evaluator_configured and covered.scored and covered.planned_scored < scores_needed(covered.planned):
        notes.append(f"No overall score: {covered.planned_scored} of {covered.planned} planned questions were scored, "
                     f"and an overall score needs at least {scores_needed(covered.planned)}. The scores shown rest "
                     "on those answers alone.")
    return notes
