"""Fixtures for core tests: an engine on a fresh SQLite file with scriptable fake providers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from interview_engine import Engine, Settings, hookimpl
from interview_engine.providers import Evaluator
from interview_engine.testing import FakeEvaluator, FakeQuestionSource

ArqBurst = Callable[..., Awaitable[None]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}", follow_up_budget_s=5,
                    plugins="")  # built-ins only: installed plugins are tested on their own


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database on SQLite and on the real Postgres: tests using it run on both."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def source() -> FakeQuestionSource:
    return FakeQuestionSource()


@pytest.fixture
def evaluator() -> FakeEvaluator:
    return FakeEvaluator()


class HookRecorder:
    """A plugin that records every lifecycle hook call as (hook name, arguments)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def named(self, hook: str) -> list[dict[str, Any]]:
        return [kwargs for name, kwargs in self.calls if name == hook]

    @hookimpl
    def on_session_started(self, interview: Any, questions: Any) -> None:
        self.calls.append(("on_session_started", {"interview": interview, "questions": questions}))

    @hookimpl
    def after_question_asked(self, interview: Any, question: Any) -> None:
        self.calls.append(("after_question_asked", {"interview": interview, "question": question}))

    @hookimpl
    async def after_answer_recorded(self, interview: Any, question: Any, answer: Any) -> None:
        self.calls.append(("after_answer_recorded", {"question": question, "answer": answer}))

    @hookimpl
    def after_answer_evaluated(self, interview: Any, answer: Any, evaluation: Any) -> Any:
        async def record() -> None:  # a sync hook returning an awaitable is awaited too
            self.calls.append(("after_answer_evaluated", {"answer": answer, "evaluation": evaluation}))

        return record()

    @hookimpl
    def on_session_finished(self, interview: Any, report: Any) -> None:
        self.calls.append(("on_session_finished", {"interview": interview, "report": report}))

    @hookimpl
    def on_session_paused(self, interview: Any) -> None:
        self.calls.append(("on_session_paused", {"interview": interview}))

    @hookimpl
    def on_session_unpaused(self, interview: Any) -> None:
        self.calls.append(("on_session_unpaused", {"interview": interview}))


@pytest.fixture
def hooks() -> HookRecorder:
    return HookRecorder()


@pytest.fixture
async def engine(
    settings: Settings, source: FakeQuestionSource, evaluator: FakeEvaluator, hooks: HookRecorder
) -> AsyncIterator[Engine]:
    async with Engine(settings, question_source=source, evaluator=evaluator) as engine:
        engine.plugins.register(hooks, name="recorder")
        yield engine


@pytest.fixture
async def db_engine(database_url: str, source: FakeQuestionSource, evaluator: FakeEvaluator) -> AsyncIterator[Engine]:
    """An engine with the fakes on SQLite and on Postgres (tests using it run on both); tenant "acme"."""
    settings = Settings(database_url=database_url, plugins="", tenant="acme", follow_up_budget_s=5)
    async with Engine(settings, question_source=source, evaluator=evaluator) as engine:
        yield engine


async def run_arq_burst(settings: Settings, evaluator: Evaluator | None, *plugins: object) -> None:
    """Run an arq worker in this process, on its own engine (with ``plugins`` registered), until the queue
    is empty."""
    from interview_engine.jobs.arq import build_worker

    async with Engine(settings, question_source=FakeQuestionSource(), evaluator=evaluator, run_jobs=False) as engine:
        for plugin in plugins:
            engine.plugins.register(plugin)
        worker = build_worker(engine, settings, burst=True, handle_signals=False)
        try:
            with anyio.fail_after(60):
                await worker.async_run()
        finally:
            await worker.close()


@pytest.fixture
def arq_burst() -> ArqBurst:
    """``await arq_burst(settings, evaluator, *plugins)``: run an arq worker until the queue is empty."""
    return run_arq_burst
