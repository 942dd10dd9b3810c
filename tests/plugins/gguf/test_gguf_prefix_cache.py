"""Evaluation prompts reuse their fixed prefix from the gguf backend's prefix cache on real llama.cpp:
restored after an interactive request replaced the model's cache, with the output unchanged, within the
cache's byte budget, and with a paused evaluation still resuming where it stopped.

llama.cpp's results depend, to rounding, on how the model's cache came to hold a prompt (a prompt read in
batches that start after another request's leftovers differs in the last bits from one read on a fresh
model), and greedy decoding of a small model can take the other side of a near tie on that rounding. A
run is therefore compared with a reference that came to the cache the way it did: read on a fresh model,
or taken back whole from the prefix cache (both give the same bits, measured here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from interview_engine_gguf.backend import GGUFBackend
from interview_engine_gguf.schedule import BACKGROUND, INTERACTIVE

from interview_engine.llm import ChatMessage, GenerationRequest, evaluation_schema
from interview_engine.llm.evaluator import evaluation_messages
from interview_engine.models import Answer, EvaluationRequest, InterviewSpec, Question

pytestmark = pytest.mark.anyio

SPEC = InterviewSpec(role="Backend engineer", level="mid", language="en")
QUESTIONS = [Question(interview_id="t", ordinal=i, kind="generated", text=text) for i, text in enumerate([
    "A query on a 50-million-row orders table became slow. How would you find and fix the cause?",
    "How would you make a payment API safe to retry when the client times out?",
])]
POINTS = ["Reads the plan with EXPLAIN ANALYZE", "Adds an index matching the filter", "Measures before and after"]
ANSWERS = [
    "I would run EXPLAIN ANALYZE, add a composite index on the filtered columns and compare p95 latency.",
    "Probably restart the database server and hope it gets faster, or buy a bigger machine.",
    "I would check pg_stat_statements for the slowest queries, then look at their plans for sequential scans.",
]
INTERACTIVE_REQUEST = GenerationRequest(
    messages=[ChatMessage(role="user", content="Ask one short question about SQL indexes.")],
    max_tokens=8, temperature=0.0, seed=0)


def _request(question: Question, answer: str) -> EvaluationRequest:
    return EvaluationRequest(spec=SPEC, question=question,
                             answer=Answer(interview_id="t", question_id=question.id, text=answer))


def evaluation(answer: str, max_tokens: int = 12, question: int = 0) -> GenerationRequest:
    """An evaluation-shaped request: the same opening and key points for every answer to a question."""
    messages = evaluation_messages(_request(QUESTIONS[question], answer), POINTS)
    return GenerationRequest(messages=messages, max_tokens=max_tokens, temperature=0.0, seed=0)


def _closing(backend: GGUFBackend) -> Iterator[GGUFBackend]:
    yield backend
    anyio.run(backend.aclose)


@pytest.fixture(scope="module")
def cached(smollm2_path: Path, llama_options: dict[str, Any]) -> Iterator[GGUFBackend]:
    yield from _closing(GGUFBackend(smollm2_path, **llama_options, prefix_cache_mb=256))  # room for every prompt


@pytest.fixture(scope="module")
def uncached(smollm2_path: Path, llama_options: dict[str, Any]) -> Iterator[GGUFBackend]:
    yield from _closing(GGUFBackend(smollm2_path, **llama_options, prefix_cache_mb=0))


async def _evaluate_after_interactive(backend: GGUFBackend, answer: str) -> tuple[str, int, int]:
    """Interactive work, then an evaluation: its output and the prompt tokens it computed and restored."""
    await backend.generate(INTERACTIVE_REQUEST)
    counts = backend.prompt_tokens
    evaluated, restored = counts.evaluated, counts.restored
    text = await backend.generate(evaluation(answer), priority=BACKGROUND)
    return text, counts.evaluated - evaluated, counts.restored - restored


async def test_an_evaluation_restores_its_prefix_after_interactive_work_with_the_same_output(
    cached: GGUFBackend, uncached: GGUFBackend
) -> None:
    reference = await uncached.generate(evaluation(ANSWERS[1]), priority=BACKGROUND)  # the fixture's first request
    await cached.generate(evaluation(ANSWERS[0]), priority=BACKGROUND)
    text, evaluated, restored = await _evaluate_after_interactive(cached, ANSWERS[1])
    _, evaluated_plain, restored_plain = await _evaluate_after_interactive(uncached, ANSWERS[1])
    assert text == reference
    assert restored_plain == 0 and restored > 500  # the system prompt, rubric, question and key points
    assert evaluated < 250 < evaluated_plain  # only the answer's turn is computed


async def test_the_cache_keeps_within_its_byte_budget(smollm2_path: Path, llama_options: dict[str, Any]) -> None:
    backend = GGUFBackend(smollm2_path, **llama_options, prefix_cache_mb=32)  # one prompt's sequence, not two
    try:
        sizes = []
        for answer in ANSWERS:
            await backend.generate(INTERACTIVE_REQUEST)
            await backend.generate(evaluation(answer + " Again, in other words: " + answer), priority=BACKGROUND)
            sizes.append(backend.prefixes.nbytes)
        assert len(backend.prefixes) == 1 and all(0 < size <= 32 * 2**20 for size in sizes)
        assert backend.prompt_tokens.restored > 0  # each evaluation took the one before's prefix, then replaced it
    finally:
        await backend.aclose()


async def test_a_paused_evaluation_resumes_after_interactive_work_restored_a_prefix(cached: GGUFBackend) -> None:
    other_question = evaluation(ANSWERS[0], question=1)
    long = evaluation(ANSWERS[2], max_tokens=160).model_copy(
        update={"json_schema": evaluation_schema(SPEC, ANSWERS[2])})  # a score card: long, whatever the model
    await cached.generate(other_question, priority=BACKGROUND)  # saves the other question's prompt
    await cached.generate(long, priority=BACKGROUND)  # saves this one's
    await cached.generate(other_question, priority=BACKGROUND)
    alone = await cached.generate(long, priority=BACKGROUND)  # taken back whole, as the paused run will be
    await cached.generate(other_question, priority=BACKGROUND)
    streamed: list[str] = []
    finished: list[str] = []
    started = anyio.Event()

    async def evaluate() -> None:
        async for delta in cached.stream(long, priority=BACKGROUND):
            streamed.append(delta)
            started.set()
        finished.append("evaluation")

    async with anyio.create_task_group() as tg:
        tg.start_soon(evaluate)
        await started.wait()
        restored = cached.prompt_tokens.restored
        # interactive work on the other question's prefix: restored while the evaluation is paused
        assert await cached.generate(evaluation(ANSWERS[1], max_tokens=4, question=1), priority=INTERACTIVE)
        finished.append("interactive")
        assert cached.prompt_tokens.restored > restored
    assert finished == ["interactive", "evaluation"]
    assert "".join(streamed) == alone
