"""One model shared by both roles, and interactive work ahead of a running evaluation, on real llama.cpp."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from interview_engine_gguf.plugin import gguf_evaluator, gguf_question_source
from interview_engine_gguf.schedule import BACKGROUND, INTERACTIVE

from interview_engine.llm import ChatMessage, GenerationRequest

pytestmark = pytest.mark.anyio

NUMBERS = {"type": "object", "properties": {"numbers": {"type": "array", "items": {"type": "integer"}}},
           "required": ["numbers"]}
EVALUATION = GenerationRequest(messages=[ChatMessage(role="user", content="List the numbers from 1 to 30 as JSON.")],
                               json_schema=NUMBERS, max_tokens=160, temperature=0.0, seed=0)
QUESTION = GenerationRequest(messages=[ChatMessage(role="user", content="Ask one question about SQL.")],
                             max_tokens=12, temperature=0.0, seed=0)


async def test_both_roles_naming_one_model_load_it_once(gguf_options: dict[str, Any]) -> None:
    source, evaluator = gguf_question_source(**gguf_options), gguf_evaluator(**gguf_options)
    other = gguf_evaluator(**{**gguf_options, "n_ctx": 2048})  # other llama.cpp settings: another copy
    shared = source.backend.backend
    assert evaluator.backend.backend is shared and other.backend.backend is not shared
    assert (source.backend.priority, evaluator.backend.priority) == (INTERACTIVE, BACKGROUND)
    await source.aclose()
    assert await evaluator.backend.generate(QUESTION)  # the evaluator's handle keeps the model open
    await evaluator.aclose()
    await other.aclose()
    again = gguf_evaluator(**gguf_options)
    assert again.backend.backend is not shared  # the last handle closed the model
    await again.aclose()


async def test_a_question_is_produced_while_an_evaluation_runs_and_the_evaluation_resumes(backend: Any) -> None:
    alone = await backend.generate(EVALUATION, priority=BACKGROUND)
    finished: list[str] = []
    evaluation: list[str] = []
    started = anyio.Event()

    async def evaluate() -> None:
        async for delta in backend.stream(EVALUATION, priority=BACKGROUND):
            evaluation.append(delta)
            started.set()
        finished.append("evaluation")

    async with anyio.create_task_group() as tg:
        tg.start_soon(evaluate)
        await started.wait()
        assert await backend.generate(QUESTION, priority=INTERACTIVE)
        finished.append("question")
    assert finished == ["question", "evaluation"]
    assert "".join(evaluation) == alone  # paused and resumed where it stopped: the same tokens
    assert alone.replace(" ", "").startswith('{"numbers":[1,2,3')  # decoded under the schema's grammar
