"""interview_engine.llm.ratings: where JSON values start, and the distribution over a rating's options
read from token log-probabilities (as backends report them: alternatives before the grammar's mask)."""

from __future__ import annotations

import json
import math

import pytest

from interview_engine.llm import TokenLogprobs
from interview_engine.llm.ratings import expected_rating, option_probabilities, rating_score, value_offsets


def _tokens(*pieces: tuple[str, dict[str, float]]) -> list[TokenLogprobs]:
    """Tokens from (text, {alternative: probability}) pieces, offsets counted along."""
    tokens, offset = [], 0
    for text, top in pieces:
        tokens.append(TokenLogprobs.of(offset, text, [(alt, math.log(p)) for alt, p in top.items()]))
        offset += len(text)
    return tokens


def test_value_offsets_find_each_value_by_path() -> None:
    text = 'Sure: {"covered": [true, false], "verdict": "good", "scores": {"a": {"evidence": ["x, \\"y\\""], ' \
           '"rating": 4}}, "feedback": "rating: 5 {[\\u00e9]}"}'
    offsets = value_offsets(text)
    assert text[offsets[("covered", 1)]:].startswith("false")
    assert text[offsets[("verdict",)]:].startswith("good")
    assert text[offsets[("scores", "a", "rating")]] == "4"
    assert text[offsets[("scores", "a", "evidence", 0)]:].startswith("x, ")
    assert len(offsets) == 6


@pytest.mark.parametrize("text", ["no json", '{"a": [1, 2', '{"a" 1}', ""])
def test_value_offsets_of_broken_json_are_empty(text: str) -> None:
    assert value_offsets(text) == {}


def test_value_offsets_agree_with_json_on_nested_documents() -> None:
    document = {"k": [{"x": [[1, 2.5e3], {"y": None}]}, "s"], "e": {}, "l": []}
    text = json.dumps(document, indent=1)
    offsets = value_offsets(text)
    assert text[offsets[("k", 0, "x", 0, 1)]:].startswith("2500.0")
    assert text[offsets[("k", 0, "x", 1, "y")]:].startswith("null")
    assert text[offsets[("k", 1)]] == "s"


def test_option_probabilities_renormalise_over_the_options_a_token_begins() -> None:
    # '"score": 4' with the digit after a separate space token; "4" and " 4" are both ways to write 4
    tokens = _tokens(('{"rating":', {}), (" ", {" ": 0.9}), ("4", {"4": 0.4, "3": 0.2, " 4": 0.1, "\n": 0.2}))
    probabilities = option_probabilities(tokens, len('{"rating": '), ["1", "2", "3", "4", "5"])
    assert probabilities == pytest.approx({"1": 0, "2": 0, "3": 0.2 / 0.7, "4": 0.5 / 0.7, "5": 0})


def test_option_probabilities_of_words_count_prefixes_and_skip_ambiguous_ones() -> None:
    tokens = _tokens(('{"verdict": ', {}), ('"good', {'"good': 0.5, '"part': 0.2, '"ex': 0.1, '"': 0.2}))
    probabilities = option_probabilities(tokens, len('{"verdict": "'), ["excellent", "good", "partial", "weak"])
    assert probabilities == pytest.approx({"excellent": 0.125, "good": 0.625, "partial": 0.25, "weak": 0})
    assert option_probabilities(tokens, 0, ["excellent", "good"]) is None  # nothing about them there


def test_expected_rating_falls_back_to_the_sampled_one() -> None:
    tokens = _tokens(("5", {"5": 0.5, "4": 0.25, "2": 0.25}))
    assert expected_rating(tokens, 0, sampled=5) == pytest.approx(4.0)
    assert expected_rating(tokens, None, sampled=5) == 5.0
    assert expected_rating([], 0, sampled=2) == 2.0
    assert [rating_score(r) for r in (1, 2.5, 4.0, 5, 5.2)] == [0, 38, 75, 100, 100]
