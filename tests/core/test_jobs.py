"""Job runners: the in-process runner resumes persisted jobs after a restart; the arq runner on the real
Redis runs evaluations in workers, exactly one evaluation per answer even when a worker is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from interview_engine import Engine, Settings
from interview_engine.jobs import InProcessJobs, evaluation_job
from interview_engine.jobs.arq import build_worker
from interview_engine.models import Answer, Interview, InterviewSpec, Question
from interview_engine.store.base import JobRecord
from interview_engine.store.sql import SQLStore
from interview_engine.testing import FakeEvaluator, FakeQuestionSource

pytestmark = pytest.mark.anyio
ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."


async def _answer_all(engine: Engine, count: int = 2) -> str:
    session = await engine.start({"role": "backend", "question_count": count})
    while (question := session.current_question) is not None:
        await session.answer(question.id, ANSWER)
    await session.finish()
    return session.id


async def test_inprocess_jobs_resume_after_restart(settings: Settings, source: FakeQuestionSource) -> None:
    settings = settings.model_copy(update={"job_shutdown_grace_s": 0})
    slow = FakeEvaluator(delay=60)
    async with Engine(settings, question_source=source, evaluator=slow) as engine:
        interview_id = await _answer_all(engine)
        await anyio.sleep(0.1)  # the jobs are running, stuck in the slow evaluator
    fast = FakeEvaluator()
    async with Engine(settings, question_source=source, evaluator=fast) as engine:
        session = await engine.resume(interview_id)
        report = await session.report(timeout=10)
        await engine.jobs.drain(10)  # the report is stored before its job is marked done
        assert await engine.store.pending_jobs() == []
    assert [r.evaluation.status for r in report.questions if r.evaluation] == ["done", "done"]
    assert len(fast.requests) == 2


async def test_inprocess_runner_bounds_concurrency_and_dedupes(tmp_path: Path) -> None:
    store = SQLStore(f"sqlite+aiosqlite:///{tmp_path / 'j.db'}")
    await store.open()
    running, peak, seen = 0, 0, []

    async def handler(job: JobRecord) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        seen.append(job.key)
        await anyio.sleep(0.05)
        running -= 1

    jobs = InProcessJobs(store, handler, concurrency=3)
    await jobs.start()
    for i in range(10):
        job = JobRecord(key=f"k{i}", name="x", payload={})
        await jobs.enqueue(job)
        await jobs.enqueue(job)  # a duplicate while queued is ignored
    await jobs.drain(timeout=10)
    await jobs.aclose()
    await store.aclose()
    assert peak == 3 and sorted(seen) == sorted(f"k{i}" for i in range(10))


async def test_inprocess_runner_retries_then_records_failure(tmp_path: Path) -> None:
    store = SQLStore(f"sqlite+aiosqlite:///{tmp_path / 'j.db'}")
    await store.open()
    interview = Interview(spec=InterviewSpec(role="r"))
    question = Question(interview_id=interview.id, ordinal=0, kind="generated", text="q?")
    await store.create_interview(interview, [question])
    answer = Answer(interview_id=interview.id, question_id=question.id, text="a")
    job = evaluation_job(answer.id)
    await store.record_answer(answer, job)
    attempts = 0

    async def flaky(_: JobRecord) -> None:
        nonlocal attempts
        attempts += 1
        raise ConnectionError("database went away")

    jobs = InProcessJobs(store, flaky, max_attempts=3, retry_delay=0.01)
    await jobs.start()  # picks the queued job up from the store
    await jobs.drain(timeout=10)
    await jobs.aclose()
    assert attempts == 3 and await store.pending_jobs() == []
    await store.aclose()


# arq on the real Redis


@pytest.fixture
def arq_settings(settings: Settings, redis_url: str) -> Settings:
    return settings.model_copy(update={"jobs": "arq", "redis_url": redis_url, "evaluation_timeout_s": 3})


async def _run_worker_burst(settings: Settings, evaluator: FakeEvaluator) -> None:
    async with Engine(settings, question_source=FakeQuestionSource(), evaluator=evaluator, run_jobs=False) as engine:
        worker = build_worker(engine, settings, burst=True, handle_signals=False)
        try:
            with anyio.fail_after(60):
                await worker.async_run()
        finally:
            await worker.close()


async def test_arq_worker_runs_evaluations(arq_settings: Settings, source: FakeQuestionSource) -> None:
    submitter = FakeEvaluator()
    async with Engine(arq_settings, question_source=source, evaluator=submitter) as engine:
        interview_id = await _answer_all(engine)
        worker_evaluator = FakeEvaluator(default_score=90)
        await _run_worker_burst(arq_settings, worker_evaluator)
        await engine.jobs.drain(timeout=10)
        report = await (await engine.resume(interview_id)).report(timeout=10)
    assert submitter.requests == [] and len(worker_evaluator.requests) == 2
    assert report.overall_score == 90


async def test_arq_duplicate_enqueues_leave_one_evaluation(arq_settings: Settings, source: FakeQuestionSource) -> None:
    async with Engine(arq_settings, question_source=source, evaluator=FakeEvaluator()) as engine:
        interview_id = await _answer_all(engine, count=1)
        for job in await engine.store.pending_jobs():
            await engine.jobs.enqueue(job)
            await engine.jobs.enqueue(job)
        await engine.jobs.start()
        worker_evaluator = FakeEvaluator()
        await _run_worker_burst(arq_settings, worker_evaluator)
        evaluations = await engine.store.list_evaluations(interview_id)
    assert len(worker_evaluator.requests) == 1
    assert [e.status for e in evaluations] == ["done"]


def _worker_process(settings: Settings, evaluator_delay: float, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "INTERVIEW_ENGINE_DATABASE_URL": settings.database_url,
        "INTERVIEW_ENGINE_JOBS": "arq",
        "INTERVIEW_ENGINE_REDIS_URL": settings.redis_url,
        "INTERVIEW_ENGINE_PLUGINS": "",
        "INTERVIEW_ENGINE_PLUGIN_MODULES": "interview_engine.testing.plugin",
        "INTERVIEW_ENGINE_QUESTION_SOURCE": "fake",
        "INTERVIEW_ENGINE_EVALUATOR": "fake",
        "INTERVIEW_ENGINE_EVALUATOR_OPTIONS": f'{{"delay": {evaluator_delay}, "default_score": 80}}',
        "INTERVIEW_ENGINE_EVALUATION_TIMEOUT_S": str(settings.evaluation_timeout_s),
    }
    return subprocess.Popen([sys.executable, "-m", "interview_engine", "worker", *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


async def _wait_in_progress(redis_url: str, job_key: str, timeout: float = 30) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        with anyio.fail_after(timeout):
            while not await client.exists(f"arq:in-progress:{job_key}"):
                await anyio.sleep(0.1)
    finally:
        await client.aclose()


@pytest.mark.slow
async def test_arq_worker_killed_mid_evaluation_ends_in_one_evaluation(
    arq_settings: Settings, source: FakeQuestionSource
) -> None:
    async with Engine(arq_settings, question_source=source, evaluator=FakeEvaluator()) as engine:
        interview_id = await _answer_all(engine, count=1)
        [job] = await engine.store.pending_jobs()
        doomed = _worker_process(arq_settings, evaluator_delay=120)
        try:
            await _wait_in_progress(arq_settings.redis_url, job.key)
            await anyio.sleep(0.5)
        finally:
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
        [answer] = await engine.store.list_answers(interview_id)
        assert (await engine.store.get_evaluation(answer.id)).status == "pending"  # type: ignore[union-attr]
        started = time.monotonic()
        survivor = _worker_process(arq_settings, 0, "--burst")
        out, _ = await anyio.to_thread.run_sync(lambda: survivor.communicate(timeout=90))
        assert survivor.returncode == 0, out.decode()
        evaluations = await engine.store.list_evaluations(interview_id)
        report = await (await engine.resume(interview_id)).report(timeout=10)
    assert [(e.status, e.scores[0].score) for e in evaluations] == [("done", 80)]
    assert report.overall_score == 80
    assert time.monotonic() - started < 60
