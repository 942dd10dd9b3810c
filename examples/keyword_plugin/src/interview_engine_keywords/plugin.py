"""The example plugin's hooks: one provider, one lifecycle hook.

- evaluator ``keywords``: scores each rubric dimension by how many of the question's key terms the
  answer uses, quoting the sentences that use them. A teaching example, not a real evaluator.
- ``on_session_finished``: archives each report as JSON under ``$KEYWORDS_REPORT_DIR`` (the place a real
  plugin would deliver a webhook).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import anyio

from interview_engine.plugin_api import DimensionScore, EvaluationRequest, Interview, Report, ScoreCard, hookimpl

STOPWORDS = frozenset(
    "a an and are do does for how in is it of on or the to what when which who why with you your".split()
)


def key_terms(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z0-9+#.-]{2,}", text.lower()) if w not in STOPWORDS}


class KeywordEvaluator:
    """Scores answers by overlap with the question's key terms."""

    def __init__(self, points_per_term: int = 25) -> None:
        self.points_per_term = points_per_term

    async def evaluate(self, request: EvaluationRequest) -> ScoreCard:
        terms = key_terms(request.question.text)
        sentences = re.split(r"(?<=[.!?])\s+", request.answer.text)
        evidence = [s for s in sentences if key_terms(s) & terms][:3]
        used = key_terms(request.answer.text) & terms
        score = min(100, self.points_per_term * len(used))
        return ScoreCard(
            scores=[DimensionScore(dimension=d.key, score=score, evidence=evidence,
                                   rationale=f"uses {len(used)} of the question's key terms")
                    for d in request.spec.rubric],
            feedback=f"Key terms used: {', '.join(sorted(used)) or 'none'}.",
        )


@hookimpl
def register_evaluators(register: Any) -> None:
    register("keywords", KeywordEvaluator)


@hookimpl
async def on_session_finished(interview: Interview, report: Report) -> None:
    directory = os.environ.get("KEYWORDS_REPORT_DIR")
    if directory:
        path = Path(directory) / f"{interview.id}.json"
        await anyio.Path(path).write_text(report.model_dump_json(indent=2), encoding="utf-8")
