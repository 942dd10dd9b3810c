"""Ratings read from token probabilities, as G-Eval does: rather than trust the one option a model
sampled, take its probability distribution over the options at the token where it wrote its choice.

``value_offsets`` finds where each value of a JSON completion starts; ``option_probabilities`` reads
the distribution over a few options (digits of a rating scale, words of a verdict) at that place.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Mapping, Sequence

from .backend import TokenLogprobs
from .schemas import RATINGS

JsonPath = tuple[str | int, ...]

_SPACE = re.compile(r"\s*")
_DECODER = json.JSONDecoder()
_FRAME = ' \t\r\n",:{}[]'
"""JSON punctuation and white space a token may carry around the value it starts."""


def value_offsets(text: str) -> dict[JsonPath, int]:
    """Where each scalar value of the JSON object in ``text`` starts, by path (keys and list indices);
    for a string, the offset of its first character after the quote. Empty if ``text`` holds no
    well-formed object."""
    offsets: dict[JsonPath, int] = {}

    def skip(pos: int) -> int:
        match = _SPACE.match(text, pos)
        return match.end() if match else pos

    def value(pos: int, path: JsonPath) -> int:
        pos = skip(pos)
        opening = text[pos]
        if opening in "{[":
            closing = "}" if opening == "{" else "]"
            pos, index = skip(pos + 1), 0
            while text[pos] != closing:
                if opening == "{":
                    key, pos = _DECODER.raw_decode(text, pos)
                    pos = value(skip(pos) + 1, (*path, str(key)))  # past the colon
                else:
                    pos = value(pos, (*path, index))
                    index += 1
                pos = skip(pos)
                if text[pos] == ",":
                    pos = skip(pos + 1)
            return pos + 1
        offsets[path] = pos + 1 if opening == '"' else pos
        end: int = _DECODER.raw_decode(text, pos)[1]
        return end

    start = text.find("{")
    try:
        if start >= 0:
            value(start, ())
    except (ValueError, IndexError):
        return {}
    return offsets


def option_probabilities(
    tokens: Sequence[TokenLogprobs], offset: int, options: Sequence[str]
) -> dict[str, float] | None:
    """The model's probabilities of ``options`` (which must differ in their first characters) for the
    value written at character ``offset``, renormalised over the options; None where the tokens say
    nothing about them. An alternative token counts for the one option it begins (JSON punctuation and
    white space around it aside), so "good" and a token "go" both count for "good"."""
    index = bisect.bisect_right([t.offset for t in tokens], offset) - 1
    if index < 0:
        return None
    weights = dict.fromkeys(options, 0.0)
    for alternative, logprob in tokens[index].top.items():
        label = alternative.strip(_FRAME)
        matches = [o for o in options if label and o.startswith(label)]
        if len(matches) == 1:
            weights[matches[0]] += math.exp(logprob)
    total = sum(weights.values())
    if total <= 0:
        return None
    return {option: weight / total for option, weight in weights.items()}


def expected_value(
    tokens: Sequence[TokenLogprobs], offset: int | None, values: Mapping[str, float], sampled: str
) -> float:
    """The expected value of the option written at ``offset``, each option (``values``' keys) standing
    for its value; the ``sampled`` option's value where the tokens say nothing about them (no offset,
    no log-probabilities)."""
    probabilities = None if offset is None else option_probabilities(tokens, offset, list(values))
    if probabilities is None:
        return values[sampled]
    return sum(values[option] * p for option, p in probabilities.items())


def expected_rating(
    tokens: Sequence[TokenLogprobs], offset: int | None, sampled: int, scale: Sequence[int] = RATINGS
) -> float:
    """The expected value of the rating written at ``offset`` on ``scale``, or the ``sampled`` rating
    where the tokens say nothing about it (no offset, no log-probabilities)."""
    return expected_value(tokens, offset, {str(r): float(r) for r in scale}, str(sampled))


def probability_true(tokens: Sequence[TokenLogprobs], offset: int | None, sampled: bool) -> float:
    """The probability the model gave ``true`` for the boolean written at ``offset`` (1 or 0 as sampled
    where the tokens say nothing about it)."""
    return expected_value(tokens, offset, {"true": 1.0, "false": 0.0}, "true" if sampled else "false")


def rating_score(rating: float, scale: Sequence[int] = RATINGS) -> int:
    """A rating on ``scale`` as a score from 0 (its lowest) to 100 (its highest)."""
    low, high = scale[0], scale[-1]
    return max(0, min(100, round(100 * (rating - low) / (high - low))))
