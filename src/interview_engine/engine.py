"""Engine: settings -> chosen providers -> sessions.

    async with Engine() as engine:                      # embedded defaults: SQLite, bank, in-process jobs
        session = await engine.start({"role": "backend", "level": "mid"})
        question = session.current_question
        ...
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any, Self

import anyio
import pluggy

from .context import SessionContext
from .errors import ConfigurationError
from .evaluation import abandon_evaluation, evaluate_answer
from .finalization import finalize
from .identifiers import check_interview_id, check_tenant
from .jobs.arq import ArqJobs
from .jobs.base import EVALUATE_ANSWER, JobHandler, Jobs
from .jobs.inprocess import InProcessJobs
from .jobs.retry import RetryPolicy, attempt_job
from .listing import build_query
from .models import InterviewPage, InterviewSpec, InterviewState
from .planning import PLAN_QUESTIONS, plan_rest
from .plugins import ProviderRegistry, plugin_manager_for
from .preparation import Preparations
from .providers import EmotionAnalyzer, Evaluator, PreparingEvaluator, QuestionSource, Transcriber, aclose_provider
from .session import Session, parse_spec
from .settings import AUTO, EMBEDDED_DEFAULTS, Settings, load_settings
from .store.base import JobRecord, Store

log = logging.getLogger(__name__)


class Engine:
    """Owns the store, the providers and the job runner; starts and resumes sessions.

    Providers come from settings by name; pass instances (``evaluator=...``) to use your own objects.
    Use as ``async with Engine(...) as engine``. With ``run_jobs=False`` the engine starts no job runner:
    its jobs wait in the store's outbox for an engine that runs them (an arq worker, or any engine with
    in-process jobs on the same database, whose outbox sweep finds them).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        plugin_manager: pluggy.PluginManager | None = None,
        store: Store | None = None,
        question_source: QuestionSource | None = None,
        evaluator: Evaluator | None = None,
        jobs: Jobs | None = None,
        run_jobs: bool = True,
    ) -> None:
        self.settings = settings or load_settings()
        self.plugins = plugin_manager or plugin_manager_for(self.settings)
        self.providers = ProviderRegistry(self.plugins)
        self._given_store, self._given_source = store, question_source
        self._given_evaluator, self._given_jobs = evaluator, jobs
        self._run_jobs = run_jobs
        self.retry_policy = RetryPolicy.from_settings(self.settings)
        self._stack: AsyncExitStack | None = None
        self._ctx: SessionContext | None = None
        self._media: dict[str, Any] = {}
        self._media_lock = anyio.Lock()

    # lifecycle

    async def __aenter__(self) -> Self:
        stack = AsyncExitStack()
        try:
            await self._open(stack)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            try:
                await stack.aclose()
            finally:
                self._ctx = None
                self._media.clear()

    async def _open(self, stack: AsyncExitStack) -> None:
        s = self.settings
        store: Store = self._given_store or self.providers.create(
            "store", s.store, {"url": s.database_url, **s.store_options}
        )
        await store.open()
        stack.push_async_callback(store.aclose)
        question_source: QuestionSource = self._given_source or await self._create(
            "question_source", s.question_source, s.question_source_options)
        stack.push_async_callback(aclose_provider, question_source)
        evaluator = self._given_evaluator
        if evaluator is None and s.evaluator is not None:
            evaluator = await self._create("evaluator", s.evaluator, s.evaluator_options)
        if evaluator is not None:
            stack.push_async_callback(aclose_provider, evaluator)
        jobs = self._given_jobs or self._make_jobs(store)
        evaluator_name = s.evaluator or (type(evaluator).__name__ if evaluator else None)
        preparations = None
        if isinstance(evaluator, PreparingEvaluator) and not isinstance(jobs, ArqJobs):
            # with arq, evaluations run in worker processes: preparing here would help none of them
            preparations = await stack.enter_async_context(Preparations(evaluator, evaluator_name or "evaluator"))
        self._ctx = SessionContext(
            store=store,
            plugins=self.plugins,
            question_source=question_source,
            question_source_name=s.question_source if self._given_source is None
            else type(question_source).__name__,
            evaluator=evaluator,
            evaluator_name=evaluator_name,
            jobs=jobs,
            evaluation_timeout_s=s.evaluation_timeout_s,
            first_question_budget_s=s.first_question_budget_s,
            plan_wait_s=s.plan_wait_s,
            follow_up_budget_s=s.follow_up_budget_s,
            preparations=preparations,
        )
        if self._run_jobs:
            await jobs.start()
            stack.push_async_callback(jobs.aclose)

    async def _create(self, family: str, name: str, options: dict[str, Any]) -> Any:
        """Build a provider in a worker thread (a factory may load a model); the registry checks its protocol."""
        return await anyio.to_thread.run_sync(self.providers.create, family, name, options)

    def _make_jobs(self, store: Store) -> Jobs:
        s = self.settings
        if s.jobs == "arq":
            return ArqJobs(store, s.redis_url, sweep_interval_s=s.job_sweep_interval_s)
        return InProcessJobs(store, self.job_handler, concurrency=s.job_concurrency, policy=self.retry_policy,
                             sweep_interval_s=s.job_sweep_interval_s, shutdown_grace=s.job_shutdown_grace_s)

    @property
    def context(self) -> SessionContext:
        if self._ctx is None:
            raise RuntimeError("the engine is not open; use `async with Engine(...) as engine`")
        return self._ctx

    @property
    def store(self) -> Store:
        return self.context.store

    @property
    def jobs(self) -> Jobs:
        return self.context.jobs

    async def transcriber(self) -> Transcriber | None:
        """The configured Transcriber, created on first use; None when speech is not configured."""
        provider: Transcriber | None = await self._media_provider(
            "transcriber", self.settings.transcriber, self.settings.transcriber_options)
        return provider

    async def emotion_analyzer(self) -> EmotionAnalyzer | None:
        """The configured EmotionAnalyzer, created on first use; None when not configured. It serves only
        interviews whose spec opts in to emotion analysis."""
        provider: EmotionAnalyzer | None = await self._media_provider(
            "emotion_analyzer", self.settings.emotion_analyzer, self.settings.emotion_analyzer_options)
        return provider

    async def _media_provider(self, family: str, name: str | None, options: dict[str, Any]) -> Any:
        if self._stack is None:
            raise RuntimeError("the engine is not open; use `async with Engine(...) as engine`")
        async with self._media_lock:
            if family not in self._media:
                if name == AUTO:
                    installed = self.providers.names(family)
                    name = next((n for n in EMBEDDED_DEFAULTS[family] if n in installed), None)
                provider = await self._create(family, name, options) if name else None
                if provider is not None:
                    self._stack.push_async_callback(aclose_provider, provider)
                self._media[family] = provider
            return self._media[family]

    # sessions

    async def start(self, spec: InterviewSpec | dict[str, Any], *, tenant: str | None = None) -> Session:
        """Plan and store a new interview; the returned session's current question is the first one.
        ``tenant=None`` means ``settings.tenant``; a malformed tenant is InvalidTenant."""
        return await Session.start(self.context, parse_spec(spec), tenant=self._tenant(tenant))

    async def resume(self, interview_id: str, *, tenant: str | None = None) -> Session:
        """Load the tenant's interview from the store, e.g. after a restart or in another process.

        Raises InterviewNotFound for a missing id, a malformed one and another tenant's interview alike.
        """
        tenant = self._tenant(tenant)
        session = await Session.load(self.context, check_interview_id(interview_id), tenant=tenant)
        if session.finished:
            await finalize(self.context, interview_id)
        return session

    async def list_interviews(
        self,
        *,
        tenant: str | None = None,
        role: str | None = None,
        state: InterviewState | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> InterviewPage:
        """The tenant's interviews, newest first, ``limit`` (at most 200) per page; pass the page's
        ``next_cursor`` back as ``cursor`` for the next. ``created_after`` is inclusive, ``created_before``
        exclusive (aware datetimes); the score filters match the report's overall score, so they leave
        out interviews without one. A bad filter or cursor is InvalidQuery."""
        query = build_query(
            self._tenant(tenant), cursor, role=role, state=state, created_after=created_after,
            created_before=created_before, min_score=min_score, max_score=max_score, limit=limit,
        )
        return await self.store.list_interviews(query)

    async def delete_interview(self, interview_id: str, *, tenant: str | None = None) -> None:
        """Delete the tenant's interview with everything stored about it, in one transaction.

        Raises InterviewNotFound for a missing id, a malformed one and another tenant's interview alike.
        A running evaluation of the interview ends without storing anything.
        """
        tenant = self._tenant(tenant)
        await self.store.delete_interview(check_interview_id(interview_id), tenant=tenant)

    def _tenant(self, tenant: object) -> str:
        return check_tenant(self.settings.tenant if tenant is None else tenant)

    # jobs

    @property
    def job_handler(self) -> JobHandler:
        """What a job runner calls to do this engine's jobs."""
        return JobHandler(run=self.run_job, give_up=self.give_up_job)

    async def attempt_job(self, key: str) -> datetime | None:
        """One attempt of the outbox job ``key``, as a runner makes it (see ``jobs.retry.attempt_job``):
        returns when to attempt it again, or None when it needs no more attempts."""
        return await attempt_job(self.context.store, self.job_handler, key, self.retry_policy)

    async def run_job(self, job: JobRecord) -> None:
        """Do one outbox job's work. Safe to call twice for the same job; raises for a failure worth another
        attempt (the caller keeps the job's attempts in the outbox)."""
        ctx = self.context
        if job.name == PLAN_QUESTIONS:
            await plan_rest(ctx, job.payload["interview_id"])
            return
        if job.name != EVALUATE_ANSWER:
            raise ConfigurationError(f"unknown job {job.name!r}")
        if ctx.evaluator is None:
            raise ConfigurationError("an evaluation job arrived but no evaluator is configured")
        await evaluate_answer(ctx, job.payload["answer_id"], ctx.evaluator, ctx.evaluator_name or "evaluator")

    async def give_up_job(self, job: JobRecord, reason: str) -> None:
        """Settle the work of a job that will not run again: its evaluation is recorded as failed with
        ``reason`` and the report is built; an unfinished plan is completed from the built-in bank. Safe to
        call twice."""
        if job.name == EVALUATE_ANSWER:
            await abandon_evaluation(self.context, job.payload["answer_id"], reason)
        elif job.name == PLAN_QUESTIONS:
            await plan_rest(self.context, job.payload["interview_id"], use_source=False)
