"""What a session, the evaluation job and report finalisation need from their engine."""

from __future__ import annotations

from dataclasses import dataclass

import pluggy

from .jobs.base import Jobs
from .preparation import Preparations
from .providers import Evaluator, QuestionSource
from .store.base import Store


@dataclass(frozen=True)
class SessionContext:
    """What a session needs from its engine: the store, the providers, the jobs and the hooks."""

    store: Store
    plugins: pluggy.PluginManager
    question_source: QuestionSource
    question_source_name: str
    evaluator: Evaluator | None
    evaluator_name: str | None
    jobs: Jobs
    evaluation_timeout_s: float = 600.0
    first_question_budget_s: float = 1.0
    plan_wait_s: float = 1.5
    follow_up_budget_s: float = 1.5
    preparations: Preparations | None = None
    """Where the evaluator prepares for each question asked; None when it does not (or evaluates
    elsewhere)."""


