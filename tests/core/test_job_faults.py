"""Fault injection with the real services: Postgres dropped mid-evaluation and Redis down while answers
arrive, each through a TCP proxy the test cuts and restores. After recovery every evaluation has settled
exactly once, every report is built once, nothing is lost and the stored attempt counts are the real ones.
(A worker killed with SIGKILL is in test_jobs.py.)"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import anyio
import pytest
from sqlalchemy.engine import make_url

from interview_engine import Engine, Session, Settings
from interview_engine.jobs import evaluation_job
from interview_engine.models import EvaluationRequest, Report, ScoreCard
from interview_engine.store.base import JobRecord
from interview_engine.testing import FakeEvaluator, FakeQuestionSource
from interview_engine.testing.faults import TcpProxy

pytestmark = pytest.mark.anyio
ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."
OUTAGE_S = 3.0


class GatedEvaluator(FakeEvaluator):
    """Holds every evaluation until ``gate`` is set, so a test can cut the database while they run."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = anyio.Event()

    async def evaluate(self, request: EvaluationRequest) -> ScoreCard:
        self.requests.append(request)
        await self.gate.wait()
        return self.default_card(request, self.default_score)


async def _interview(engine: Engine, count: int) -> Session:
    session = await engine.start({"role": "backend", "question_count": count})
    while (question := session.current_question) is not None:
        await session.answer(question.id, ANSWER)
    await session.finish()
    return session


async def _jobs(engine: Engine, session: Session) -> list[tuple[str, int]]:
    jobs = [await engine.store.get_job(evaluation_job(a.id).key) for a in await engine.store.list_answers(session.id)]
    return [(j.status, j.attempts) for j in jobs if isinstance(j, JobRecord)]


@pytest.fixture
async def pg_proxy(postgres_url: str) -> Any:
    url = make_url(postgres_url)
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy, url.set(port=proxy.port).render_as_string(hide_password=False)


async def _two_answers_through_an_outage(
    pg_proxy: tuple[TcpProxy, str], source: FakeQuestionSource, hooks: Any, max_attempts: int
) -> tuple[GatedEvaluator, Report, list[tuple[str, int]]]:
    """Two answers whose evaluations end while Postgres is away for OUTAGE_S; the evaluator, the report
    and each job's (status, attempts) once the runner is idle again."""
    proxy, database_url = pg_proxy
    settings = Settings(database_url=database_url, plugins="", job_max_attempts=max_attempts,
                        job_retry_base_s=0.2, job_retry_max_s=1.0, job_sweep_interval_s=0.5)
    evaluator = GatedEvaluator()
    async with Engine(settings, question_source=source, evaluator=evaluator) as engine:
        engine.plugins.register(hooks, name="recorder")
        session = await _interview(engine, 2)
        with anyio.fail_after(10):
            while len(evaluator.requests) < 2:
                await anyio.sleep(0.01)
        await proxy.cut()
        evaluator.gate.set()  # the evaluations end while the database is away: their results cannot be stored
        await anyio.sleep(OUTAGE_S)
        await proxy.restore()
        await engine.jobs.drain(timeout=30)
        report = await session.report(timeout=10)
        jobs = await _jobs(engine, session)
    assert [r.answer.text for r in report.questions if r.answer] == [ANSWER, ANSWER]
    return evaluator, report, jobs


@pytest.mark.postgres
async def test_database_dropped_during_evaluations(
    pg_proxy: tuple[TcpProxy, str], source: FakeQuestionSource, hooks: Any
) -> None:
    evaluator, report, jobs = await _two_answers_through_an_outage(pg_proxy, source, hooks, max_attempts=20)
    assert all(r.evaluation is not None and r.evaluation.status == "done" for r in report.questions)
    assert len(evaluator.requests) == 4  # each evaluated again: the first result could not be stored
    assert jobs == [("done", 2), ("done", 2)]
    assert len(hooks.named("after_answer_evaluated")) == 2 and len(hooks.named("on_session_finished")) == 1


@pytest.mark.postgres
async def test_a_job_giving_up_while_the_database_is_down_settles_once_it_is_back(
    pg_proxy: tuple[TcpProxy, str], source: FakeQuestionSource, hooks: Any
) -> None:
    """The only attempt fails, and so does settling its evaluation as failed: the job stays queued until
    the database is back, then settles."""
    evaluator, report, jobs = await _two_answers_through_an_outage(pg_proxy, source, hooks, max_attempts=1)
    evaluations = [r.evaluation for r in report.questions]
    assert all(e is not None and e.status == "failed" and "after 1 attempt" in (e.reason or "") for e in evaluations)
    assert len(evaluator.requests) == 2  # given up, not run again
    assert jobs == [("failed", 1), ("failed", 1)]
    assert len(hooks.named("after_answer_evaluated")) == 2 and len(hooks.named("on_session_finished")) == 1


async def _arq_queue_length(redis_url: str) -> int:
    from redis.asyncio import Redis

    from interview_engine.jobs.arq import QUEUE_NAME

    client = Redis.from_url(redis_url)
    try:
        return int(await client.zcard(QUEUE_NAME))
    finally:
        await client.aclose()


@pytest.mark.redis
async def test_redis_down_while_answers_arrive(
    settings: Settings, source: FakeQuestionSource, redis_url: str, hooks: Any, arq_burst: Any
) -> None:
    redis = urlsplit(redis_url)
    async with TcpProxy(redis.hostname or "127.0.0.1", redis.port or 6379) as proxy:
        settings = settings.model_copy(update={
            "jobs": "arq", "redis_url": f"redis://127.0.0.1:{proxy.port}{redis.path}", "evaluation_timeout_s": 3,
            "job_sweep_interval_s": 0.2})
        async with Engine(settings, question_source=source, evaluator=FakeEvaluator()) as engine:
            await proxy.cut()
            session = await _interview(engine, 3)  # every answer() returns: stored, its enqueue logged as failed
            assert len(await engine.store.pending_jobs()) == 3
            await proxy.restore()
            with anyio.fail_after(10):  # the outbox sweep sends the jobs once Redis is back
                while await _arq_queue_length(redis_url) < 3:
                    await anyio.sleep(0.05)
            worker_evaluator = FakeEvaluator(default_score=85)
            await arq_burst(settings, worker_evaluator, hooks)
            report = await session.report(timeout=10)
            jobs = await _jobs(engine, session)
    assert len(session.answers) == 3 and report.overall_score == 85
    assert len(worker_evaluator.requests) == 3 and jobs == [("done", 1)] * 3
    assert len(hooks.named("after_answer_evaluated")) == 3 and len(hooks.named("on_session_finished")) == 1


@pytest.mark.postgres
@pytest.mark.redis
async def test_database_dropped_under_an_arq_worker(
    pg_proxy: tuple[TcpProxy, str], source: FakeQuestionSource, redis_url: str, hooks: Any, arq_burst: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The worker's runs that cannot reach the store go back to arq with a backoff (no attempt recorded);
    once Postgres is back each job runs again and settles once."""
    proxy, database_url = pg_proxy
    settings = Settings(database_url=database_url, plugins="", jobs="arq", redis_url=redis_url,
                        job_max_attempts=20, job_retry_base_s=0.2, job_retry_max_s=1.0, job_sweep_interval_s=0.5)
    evaluator = GatedEvaluator()  # the worker's; the engine's own only makes answers enqueue evaluations
    async with Engine(settings, question_source=source, evaluator=FakeEvaluator()) as engine:
        session = await _interview(engine, 2)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(arq_burst, settings, evaluator, hooks)
            with anyio.fail_after(10):
                while len(evaluator.requests) < 2:
                    await anyio.sleep(0.01)
            await proxy.cut()
            evaluator.gate.set()  # both evaluations end while the database is away
            await anyio.sleep(OUTAGE_S)
            await proxy.restore()
        report = await session.report(timeout=10)
        jobs = await _jobs(engine, session)
    assert all(r.evaluation is not None and r.evaluation.status == "done" for r in report.questions)
    assert len(evaluator.requests) == 4  # each evaluated again: the first result could not be stored
    assert jobs == [("done", 2), ("done", 2)]  # the runs that could not reach the store are not attempts
    assert any("could not reach the store" in r.getMessage() for r in caplog.records)
    assert len(hooks.named("after_answer_evaluated")) == 2 and len(hooks.named("on_session_finished")) == 1
