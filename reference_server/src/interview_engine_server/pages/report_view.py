"""The report page's content from the API's report view: the score chart with human overrides beside
the model's scores, each answer with its evidence marked, the proctoring and emotion timelines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ..api.reviews import ReportView
from .charts import BarChart, Timeline, bar_chart, timeline
from .highlight import mark_evidence


@dataclass(frozen=True)
class QuestionItem:
    number: str
    result: Any
    """A ``Report.questions`` entry (question, answer, evaluation, score)."""
    transcript: Markup | None
    """The answer as HTML, evidence quotes marked."""


def _numbers(depths: list[int]) -> list[str]:
    """Question numbers from the questions' depths: "1", "2", "2.1" (a follow-up under question 2) …"""
    numbers, root, depth_count = [], 0, 0
    for depth in depths:
        if depth == 0:
            root, depth_count = root + 1, 0
            numbers.append(str(root))
        else:
            depth_count += 1
            numbers.append(f"{root}.{depth_count}")
    return numbers


def question_items(view: ReportView) -> list[QuestionItem]:
    items = []
    results = view.report.questions
    for number, result in zip(_numbers([r.question.depth for r in results]), results, strict=True):
        scores = result.evaluation.scores if result.evaluation else []
        quotes = list(dict.fromkeys(quote for score in scores for quote in score.evidence))
        transcript = mark_evidence(result.answer.text, quotes) if result.answer else None
        items.append(QuestionItem(number, result, transcript))
    return items


def score_chart(view: ReportView, overall_label: str) -> BarChart:
    overall = view.overrides_in_force.overall
    dimensions = view.overrides_in_force.dimensions
    rows: list[tuple[str, float | None, float | None]] = [
        (overall_label, view.report.overall_score, overall.human_score if overall else None)]
    for dim in view.report.dimensions:
        human = dimensions.get(dim.key)
        rows.append((dim.name, dim.score, human.human_score if human else None))
    return bar_chart(rows)


def timelines(view: ReportView) -> tuple[Timeline | None, Timeline | None]:
    """(emotion timeline, proctoring timeline) on one time axis; None where there is nothing to show."""
    emotions = view.report.emotions
    if emotions is None:
        return None, None
    duration = max((s.t for s in emotions.timeline), default=0.0)
    emotion = None
    if emotions.timeline:
        emotion = timeline([(s.t, s.dominant or "none") for s in emotions.timeline], duration)
    signals = timeline([(s.t, s.kind) for s in emotions.proctoring], duration) if emotions.proctoring else None
    return emotion, signals


def report_context(view: ReportView, strings: dict[str, str]) -> dict[str, Any]:
    """Everything ``report.html`` shows."""
    emotion_timeline, signal_timeline = timelines(view)
    questions = question_items(view)
    numbers = {item.result.question.id: item.number for item in questions}
    return {
        "view": view, "report": view.report, "chart": score_chart(view, strings["report.overall"]),
        "questions": questions, "question_numbers": numbers,
        "dimension_names": {d.key: d.name for d in view.report.dimensions},
        "emotion_timeline": emotion_timeline, "signal_timeline": signal_timeline,
    }
