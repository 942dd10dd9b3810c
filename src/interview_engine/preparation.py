"""Evaluator preparation: work that depends only on a question, started in the background when the
question is asked (``PreparingEvaluator.prepare``), so the evaluation of its first answer finds it done.

Nobody waits for it: ``Preparations.start`` only schedules the work on the engine's task group. A
failure is logged and dropped (the evaluation does the work itself); the engine cancels what is still
running when it closes.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from typing import Self

import anyio
from anyio.abc import TaskGroup

from .errors import error_summary
from .models import InterviewSpec, Question
from .providers import PreparingEvaluator

log = logging.getLogger(__name__)


class Preparations:
    """The background preparations of one evaluator: an async context manager whose exit cancels and
    awaits those still running (``start`` then does nothing)."""

    def __init__(self, evaluator: PreparingEvaluator, evaluator_name: str) -> None:
        self._evaluator = evaluator
        self._name = evaluator_name
        self._stack: AsyncExitStack | None = None
        self._tg: TaskGroup | None = None

    async def __aenter__(self) -> Self:
        stack = AsyncExitStack()
        self._tg = await stack.enter_async_context(anyio.create_task_group())
        stack.callback(self._tg.cancel_scope.cancel)
        self._stack = stack
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        stack, self._stack, self._tg = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    def start(self, spec: InterviewSpec, question: Question) -> None:
        """Have the evaluator prepare for ``question`` in the background; returns at once."""
        if self._tg is None:
            log.debug("not preparing for question %s: the engine is closing", question.id)
            return
        self._tg.start_soon(self._prepare, spec, question, name=f"prepare question {question.id}")

    async def _prepare(self, spec: InterviewSpec, question: Question) -> None:
        try:
            await self._evaluator.prepare(spec, question)
        except Exception as exc:
            log.warning("evaluator %r could not prepare for question %s (%s); its evaluation will do it",
                        self._name, question.id, error_summary(exc))
