"""From judgements to scores (interview_engine.llm.judgement): relevance caps, the pull of the verdict and
of the key points covered, and bad judgements refused."""

from __future__ import annotations

import pytest

from interview_engine.llm.judgement import OFF_TOPIC_CAP, VERDICT_RATINGS, Judgement, judged_rating, judged_scores
from interview_engine.llm.prompts import template


def _judgement(*, relevance: float = 1.0, coverage: float = 1.0, verdict: float = 5.0,
               rating: float = 5.0) -> Judgement:
    return Judgement(relevance=relevance, coverage=coverage, verdict=verdict,
                     ratings={"technical_accuracy": rating, "communication": rating})


def test_the_extremes_are_the_ends_of_the_scale() -> None:
    assert set(judged_scores(_judgement()).values()) == {100}
    assert set(judged_scores(_judgement(coverage=0, verdict=1, rating=1)).values()) == {0}


def test_an_answer_judged_not_to_address_its_question_scores_low_whatever_its_ratings() -> None:
    fluent = _judgement(relevance=0.3)
    assert set(judged_scores(fluent).values()) == {OFF_TOPIC_CAP}
    assert set(judged_scores(_judgement(relevance=0.5)).values()) == {100}  # more likely on topic than not


def test_a_complete_answer_scores_above_a_shallow_one_the_model_rated_alike() -> None:
    complete = judged_scores(_judgement(coverage=1.0, verdict=4.8, rating=5))
    shallow = judged_scores(_judgement(coverage=1 / 3, verdict=4.2, rating=5))
    assert all(complete[k] - shallow[k] >= 20 for k in complete)


def test_ratings_are_drawn_towards_the_verdict() -> None:
    lenient = _judgement(coverage=0.5, verdict=2, rating=5)
    assert judged_rating(5, lenient) < judged_rating(5, _judgement(coverage=0.5, verdict=5, rating=5))
    assert 2 < judged_rating(5, lenient) < 5


def test_scores_rise_with_each_judgement() -> None:
    base = judged_scores(_judgement(coverage=0.5, verdict=3, rating=3))["communication"]
    for better in ({"coverage": 0.6}, {"verdict": 3.5}, {"rating": 3.5}):
        options = {"coverage": 0.5, "verdict": 3.0, "rating": 3.0, **better}
        assert judged_scores(_judgement(**options))["communication"] > base


@pytest.mark.parametrize("options", [{"relevance": 1.5}, {"coverage": -0.1}, {"verdict": 0.5}, {"rating": 6.0}])
def test_judgements_off_their_scales_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="between"):
        _judgement(**options)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_verdict_ratings_are_those_the_model_is_told(language: str) -> None:
    system = template(language, "evaluation.system").template  # type: ignore[arg-type]
    for verdict, rating in VERDICT_RATINGS.items():
        assert f"- {verdict} ({rating:.0f})" in system
