"""From what the model judged about one answer to the score of each rubric dimension (pure functions).

A small model rates most on-topic answers alike (a complete answer and a shallow one both near the
top), so a dimension's score does not rest on its rating alone:

- relevance comes first: an answer judged not to address its question (probability below
  ``RELEVANT_AT``) scores at most ``OFF_TOPIC_CAP`` on every dimension, however fluent;
- each rating is drawn towards the verdict on the whole answer (``VERDICT_WEIGHT``);
- and blended with the share of the question's key points the answer covers (``COVERAGE_WEIGHT``),
  which the model decided before it rated anything and which separates complete from shallow answers.

Every input is an expectation under the model's distribution where the backend reports
log-probabilities (``interview_engine.llm.ratings``), else the value it sampled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .ratings import rating_score
from .schemas import RATINGS, VERDICTS

VERDICT_RATINGS: Mapping[str, float] = dict(zip(VERDICTS, (5.0, 4.0, 3.0, 2.0, 1.0), strict=True))
"""The rating each verdict stands for (the system prompt says the same)."""
RELEVANT_AT = 0.5
OFF_TOPIC_CAP = 10
VERDICT_WEIGHT = 0.5
COVERAGE_WEIGHT = 0.4


@dataclass(frozen=True)
class Judgement:
    """What the model judged about one answer, each as a number."""

    relevance: float
    """Probability that the answer addresses its question, 0 to 1."""
    coverage: float
    """Share of the question's key points the answer covers, 0 to 1."""
    verdict: float
    """The verdict on the whole answer as a rating (``VERDICT_RATINGS``), 1 to 5."""
    ratings: Mapping[str, float]
    """Rubric dimension key -> its rating, 1 to 5."""

    def __post_init__(self) -> None:
        low, high = RATINGS[0], RATINGS[-1]
        if not (0 <= self.relevance <= 1 and 0 <= self.coverage <= 1):
            raise ValueError("relevance and coverage must be between 0 and 1")
        if not all(low <= r <= high for r in (self.verdict, *self.ratings.values())):
            raise ValueError(f"the verdict and ratings must be between {low} and {high}")


def coverage_rating(coverage: float) -> float:
    """A share of key points covered on the rating scale: none is its lowest, all its highest."""
    low, high = RATINGS[0], RATINGS[-1]
    return low + coverage * (high - low)


def judged_rating(rating: float, judgement: Judgement) -> float:
    """A dimension's ``rating`` drawn towards the verdict, then blended with the coverage."""
    toward = (1 - VERDICT_WEIGHT) * rating + VERDICT_WEIGHT * judgement.verdict
    return (1 - COVERAGE_WEIGHT) * toward + COVERAGE_WEIGHT * coverage_rating(judgement.coverage)


def judged_scores(judgement: Judgement) -> dict[str, int]:
    """Each dimension's score from 0 to 100; at most ``OFF_TOPIC_CAP`` for an answer judged not to
    address its question."""
    cap = OFF_TOPIC_CAP if judgement.relevance < RELEVANT_AT else 100
    return {key: min(cap, rating_score(judged_rating(rating, judgement)))
            for key, rating in judgement.ratings.items()}
