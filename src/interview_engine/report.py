"""Evaluations and emotion samples -> Report. Pure functions, no I/O.

Scores come only from done evaluations. Emotions are summarised apart and never read by any score.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .models import (
    Answer,
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
NO_EVALUATOR_NOTE = "No evaluator is configured: answers were recorded but not scored."


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


def dimension_results(
    rubric: Sequence[RubricDimension], evaluations: Sequence[Evaluation]
) -> list[DimensionResult]:
    """Per dimension, the mean score over done evaluations."""
    done = [e for e in evaluations if e.status == "done"]
    results = []
    for dim in rubric:
        scores = [s.score for e in done if (s := e.score_for(dim.key)) is not None]
        mean = sum(scores) / len(scores) if scores else None
        results.append(DimensionResult(key=dim.key, name=dim.name, weight=dim.weight, score=mean,
                                       evaluated_answers=len(scores)))
    return results


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
    overall = weighted_mean([(d.score, d.weight) for d in dimensions if d.score is not None])
    notes = _notes(results, settled, evaluator_configured)
    strengths = [f"{d.name}: {d.score:.0f}/100" for d in dimensions if d.score is not None and d.score >= STRENGTH_AT]
    improvements = [
        f"{d.name}: {d.score:.0f}/100" for d in dimensions if d.score is not None and d.score < IMPROVE_BELOW
    ]
    return Report(
        interview_id=interview.id,
        role=spec.role,
        level=spec.level,
        language=spec.language,
        evaluator_configured=evaluator_configured,
        overall_score=overall,
        dimensions=dimensions,
        questions=results,
        strengths=strengths,
        improvements=improvements,
        notes=notes,
        emotions=summarize_emotions(emotion_samples) if spec.emotion_analysis else None,
    )


def _notes(results: Sequence[QuestionResult], settled: Sequence[Evaluation], evaluator_configured: bool) -> list[str]:
    notes = []
    if not evaluator_configured:
        notes.append(NO_EVALUATOR_NOTE)
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
    return notes
