"""The openai_compat providers against a real OpenAI-compatible server (llama-cpp-python's, on
SmolLM2-135M): conformance, JSON format negotiation and a whole interview."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from interview_engine_openai_compat.backend import OpenAICompatBackend
from interview_engine_openai_compat.options import OpenAICompatOptions

from interview_engine import Engine, Settings
from interview_engine.llm import ChatMessage, GenerationRequest
from interview_engine.llm.ratings import option_probabilities, value_offsets
from interview_engine.testing.conformance import EvaluatorConformance, QuestionSourceConformance

LLM_CALL_TIMEOUT_S = 600.0  # llama-server on one thread: room for a loaded machine (see test_gguf_conformance.py)
pytestmark = pytest.mark.timeout(900)


class TestOpenAICompatQuestionSource(QuestionSourceConformance):
    timeout = LLM_CALL_TIMEOUT_S

    @pytest.fixture(scope="class")
    @classmethod
    def provider(cls, registry: Any, llama_server: str) -> Any:
        return registry.create("question_source", "openai_compat", {"base_url": llama_server})


class TestOpenAICompatEvaluator(EvaluatorConformance):
    timeout = LLM_CALL_TIMEOUT_S

    @pytest.fixture(scope="class")
    @classmethod
    def provider(cls, registry: Any, llama_server: str) -> Any:
        """One evaluator for the class, so a question's key points are asked for once."""
        return registry.create("evaluator", "openai_compat", {"base_url": llama_server})

    @pytest.fixture
    def failing_provider(self, registry: Any, scripted: Any) -> Any:
        """A server that always answers with prose instead of JSON."""
        scripted.default = scripted.completion("I think the candidate did ", "rather well overall.")
        return registry.create("evaluator", "openai_compat", {"base_url": scripted.base_url, "attempts": 2})


@pytest.mark.anyio
async def test_json_is_negotiated_with_the_server(llama_server: str) -> None:
    backend = OpenAICompatBackend(OpenAICompatOptions(base_url=llama_server))
    schema = {"type": "object", "additionalProperties": False, "required": ["follow_up", "topic"],
              "properties": {"follow_up": {"type": "boolean"}, "topic": {"enum": ["indexes", "caching", "testing"]}}}
    request = GenerationRequest(
        messages=[ChatMessage(role="user", content="Should we ask a follow-up about database indexes? JSON.")],
        json_schema=schema, max_tokens=60, temperature=0,
    )
    chunks = [chunk async for chunk in backend.stream(request)]
    assert backend.response_format == "json_object", "llama.cpp's server takes json_object with a schema"
    assert len(chunks) > 1
    jsonschema.validate(json.loads("".join(chunks)), schema)


@pytest.mark.anyio
async def test_an_interview_end_to_end(llama_server: str, tmp_path: Path) -> None:
    options = {"base_url": llama_server}
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}", plugins="openai_compat",
        question_source="openai_compat", question_source_options=options,
        evaluator="openai_compat", evaluator_options=options,
    )
    async with Engine(settings) as engine:
        session = await engine.start({"role": "Backend engineer", "question_count": 1, "max_follow_ups": 0})
        while (question := session.current_question) is not None:
            assert question.text.strip()
            await session.answer(question.id, "I would add an index on user_id and check EXPLAIN ANALYZE.")
        await session.finish()
        report = await session.report(timeout=180)
    evaluations = [q.evaluation for q in report.questions]
    assert evaluations and all(e and e.status == "done" and e.evaluator == "openai_compat" for e in evaluations)


@pytest.mark.anyio
async def test_logprobs_come_with_the_completion(llama_server: str) -> None:
    backend = OpenAICompatBackend(OpenAICompatOptions(base_url=llama_server))
    schema = {"type": "object", "additionalProperties": False, "required": ["rating"],
              "properties": {"rating": {"type": "integer", "enum": [1, 2, 3, 4, 5]}}}
    request = GenerationRequest(messages=[ChatMessage(role="user", content="Rate pizza from 1 to 5, as JSON.")],
                                json_schema=schema, max_tokens=30, temperature=0)
    completion = await backend.generate_with_logprobs(request, 5)
    assert json.loads(completion.text)["rating"] in range(1, 6)
    assert "".join(t.text for t in completion.tokens) == completion.text
    probabilities = option_probabilities(completion.tokens, value_offsets(completion.text)[("rating",)],
                                         ["1", "2", "3", "4", "5"])
    assert probabilities is not None and sum(probabilities.values()) == pytest.approx(1)
