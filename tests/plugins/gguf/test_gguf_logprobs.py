"""GGUFBackend.generate_with_logprobs on real llama.cpp (SmolLM2): the completion is the one generate
gives, its tokens tile the text (Korean too), each carries the likeliest alternatives with their
log-probabilities, and LLMEvaluator reads each of its judgements (relevance, ratings) as the expectation
over those alternatives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from interview_engine.llm import (
    ChatBackend,
    ChatMessage,
    Completion,
    GenerationRequest,
    LLMEvaluator,
    LogprobBackend,
    TokenLogprobs,
)
from interview_engine.llm.judgement import judged_scores
from interview_engine.llm.ratings import expected_rating, option_probabilities, value_offsets
from interview_engine.models import Answer, EvaluationRequest, InterviewSpec, Question

pytestmark = pytest.mark.anyio

RATING_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["reason", "rating"],
                 "properties": {"reason": {"type": "string", "maxLength": 20},
                                "rating": {"type": "integer", "enum": [1, 2, 3, 4, 5]}}}


def _request(content: str, **kwargs: Any) -> GenerationRequest:
    return GenerationRequest(messages=[ChatMessage(role="user", content=content)], temperature=0.0, **kwargs)


def _assert_tiles(completion: Completion, top: int) -> None:
    assert "".join(t.text for t in completion.tokens) == completion.text
    assert [t.offset for t in completion.tokens] == sorted(t.offset for t in completion.tokens)
    for token in completion.tokens:
        assert completion.text[token.offset:].startswith(token.text)
        assert 1 <= len(token.top) <= top and all(lp <= 0 for lp in token.top.values())


async def test_is_a_logprob_backend_giving_what_generate_gives(backend: Any) -> None:
    assert isinstance(backend, LogprobBackend)
    request = _request("Write a long story about a database.", max_tokens=24)
    completion = await backend.generate_with_logprobs(request, 5)
    assert completion.text == await backend.generate(request)  # greedy: the processor changes nothing
    assert len(completion.tokens) == 24  # cut at max_tokens: the last token is kept too
    _assert_tiles(completion, 5)
    assert all(t.text in t.top and max(t.top.values()) == t.top[t.text] for t in completion.tokens)  # greedy


async def test_korean_tokens_tile_the_text(backend: Any) -> None:
    greeting = "안녕하세요 여러분, 반갑습니다"  # SmolLM2 spells Hangul in byte tokens: partial characters
    schema = {"type": "object", "properties": {"greeting": {"enum": [greeting]}}, "required": ["greeting"]}
    completion = await backend.generate_with_logprobs(_request("인사해 주세요.", json_schema=schema, max_tokens=60), 3)
    assert json.loads(completion.text) == {"greeting": greeting}
    _assert_tiles(completion, 3)
    assert any(not t.text for t in completion.tokens)  # a token ending inside a character holds no text yet


async def test_alternatives_at_a_rating_are_read_before_the_grammar(backend: Any) -> None:
    request = _request("Rate pizza from 1 to 5, as JSON.", json_schema=RATING_SCHEMA, max_tokens=80)
    completion = await backend.generate_with_logprobs(request, 10)
    _assert_tiles(completion, 10)
    rating = json.loads(completion.text)["rating"]
    offset = value_offsets(completion.text)[("rating",)]
    probabilities = option_probabilities(completion.tokens, offset, ["1", "2", "3", "4", "5"])
    assert probabilities is not None and sum(probabilities.values()) == pytest.approx(1)
    assert 1 < len([p for p in probabilities.values() if p > 0.01])  # a distribution, not one sampled digit
    assert max(probabilities, key=lambda k: probabilities[k]) == str(rating)  # greedy took the likeliest


@pytest.mark.parametrize("top", [0, 21])
async def test_top_logprobs_out_of_range_is_an_error(backend: Any, top: int) -> None:
    with pytest.raises(ValueError, match="top_logprobs"):
        await backend.generate_with_logprobs(_request("Hi", max_tokens=2), top)


class RecordingLogprobBackend:
    """Passes requests to the real backend and keeps each completion with its tokens."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.completions: list[Completion] = []

    async def generate(self, request: GenerationRequest) -> str:
        return str(await self.inner.generate(request))

    def stream(self, request: GenerationRequest) -> Any:
        return self.inner.stream(request)

    async def generate_with_logprobs(self, request: GenerationRequest, top_logprobs: int) -> Completion:
        completion: Completion = await self.inner.generate_with_logprobs(request, top_logprobs)
        self.completions.append(completion)
        return completion

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_evaluator_judgements_are_expectations_under_the_model(backend: Any) -> None:
    recording = RecordingLogprobBackend(backend)
    assert isinstance(recording, LogprobBackend) and isinstance(recording, ChatBackend)
    spec = InterviewSpec(role="Backend engineer", level="mid", language="en")
    question = Question(interview_id="t", ordinal=0, kind="generated", text="How would you speed up a slow query?")
    answer = Answer(interview_id="t", question_id=question.id,
                    text="I would run EXPLAIN ANALYZE, add a composite index and compare p95 latency after.")
    request = EvaluationRequest(spec=spec, question=question, answer=answer)
    evaluator = LLMEvaluator(recording)
    raw, judgement = await evaluator.judge(request)
    completion = recording.completions[-1]
    offsets = value_offsets(completion.text)
    tokens: list[TokenLogprobs] = completion.tokens
    for dimension, rating in judgement.ratings.items():
        offset = offsets[("scores", dimension, "rating")]
        assert option_probabilities(tokens, offset, ["1", "2", "3", "4", "5"]) is not None
        assert rating == expected_rating(tokens, offset, raw.scores[dimension].rating)
    relevance = option_probabilities(tokens, offsets[("answers_question",)], ["true", "false"])
    assert relevance is not None and judgement.relevance == relevance["true"]
    card = evaluator.score_card(request, raw, judgement)
    assert {s.dimension: s.score for s in card.scores} == judged_scores(judgement)


def test_the_recorder_keeps_only_the_top_alternatives_of_each_position() -> None:
    """Each position keeps k ids and log-probabilities, not the whole vocabulary's ordering (an index
    array of 151,936 entries for Qwen2.5: 1.2 MB a generated token, kept until the completion ends)."""
    import tracemalloc

    import numpy as np
    from interview_engine_gguf.logprobs import TopLogprobs

    logits = np.random.default_rng(0).normal(size=151_936).astype(np.single)
    input_ids = np.arange(8, dtype=np.intc)
    recorder = TopLogprobs(10)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(50):
            recorder(input_ids, logits)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 50 * 4096, f"{kept / 50:,.0f} bytes kept a position"
