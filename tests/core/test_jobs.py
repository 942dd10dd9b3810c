"""Job runners: the in-process runner resumes persisted jobs after a restart, backs off from failures with
its retry state in the store, sweeps the outbox and settles a job it gives up on; the arq runner on the real
Redis runs evaluations in workers, retries and settles the same way, exactly one evaluation per answer even
when a worker is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import pytest

from interview_engine import Engine, Settings
from interview_engine.jobs import InProcessJobs, JobHandler, RetryPolicy, evaluation_job
from interview_engine.models import Answer, Interview, InterviewSpec, Question, utcnow
from interview_engine.store.base import JobRecord, Store
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


async def _outbox(store: SQLStore, count: int) -> list[JobRecord]:
    """``count`` evaluation jobs in the store's outbox, one per answer of a fresh interview."""
    interview = Interview(spec=InterviewSpec(role="r"))
    questions = [Question(interview_id=interview.id, ordinal=i, kind="generated", text=f"q{i}?") for i in range(count)]
    await store.create_interview(interview, questions)
    jobs = []
    for question in questions:
        answer = Answer(interview_id=interview.id, question_id=question.id, text="a")
        jobs.append(evaluation_job(answer.id))
        await store.record_answer(answer, jobs[-1])
    return jobs


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLStore]:
    s = SQLStore(f"sqlite+aiosqlite:///{tmp_path / 'j.db'}")
    await s.open()
    yield s
    await s.aclose()


QUICK = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02)


class Recorder:
    """A job handler that fails its first ``failures`` runs of each job and records every call."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.failures, self.delay = failures, delay
        self.runs: list[tuple[str, datetime]] = []
        self.given_up: list[tuple[str, str]] = []
        self.running = self.peak = 0

    @property
    def handler(self) -> JobHandler:
        return JobHandler(run=self.run, give_up=self.give_up)

    async def run(self, job: JobRecord) -> None:
        self.runs.append((job.key, utcnow()))
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await anyio.sleep(self.delay)
            if sum(1 for key, _ in self.runs if key == job.key) <= self.failures:
                raise ConnectionError("database went away \x00 \ud800")
        finally:
            self.running -= 1

    async def give_up(self, job: JobRecord, reason: str) -> None:
        self.given_up.append((job.key, reason))


async def _run_outbox(store: SQLStore, recorder: Recorder, policy: RetryPolicy = QUICK) -> None:
    """Run the outbox's jobs with an in-process runner until it holds none."""
    jobs = InProcessJobs(store, recorder.handler, policy=policy)
    await jobs.start()
    await jobs.drain(timeout=10)
    await jobs.aclose()


async def test_inprocess_runner_bounds_concurrency_and_dedupes(store: SQLStore) -> None:
    recorder = Recorder(delay=0.05)
    jobs = InProcessJobs(store, recorder.handler, concurrency=3, policy=QUICK)
    outbox = await _outbox(store, 10)
    await jobs.start()  # the start sweep takes all ten from the outbox ...
    for job in outbox:
        await jobs.enqueue(job)  # ... so enqueueing them again is ignored
    await jobs.drain(timeout=10)
    await jobs.aclose()
    assert recorder.peak == 3 and sorted(k for k, _ in recorder.runs) == sorted(j.key for j in outbox)
    assert await store.pending_jobs() == []


async def test_stored_attempt_count_is_the_real_one(store: SQLStore) -> None:
    recorder = Recorder(failures=2)
    [job] = await _outbox(store, 1)
    await _run_outbox(store, recorder)
    stored = await store.get_job(job.key)
    assert stored is not None and (stored.status, stored.attempts) == ("done", 3)
    assert len(recorder.runs) == 3 and recorder.given_up == []


async def test_inprocess_runner_retries_then_gives_up_once(store: SQLStore) -> None:
    recorder = Recorder(failures=99)
    [job] = await _outbox(store, 1)
    await _run_outbox(store, recorder)  # the runner picks the queued job up from the store
    stored = await store.get_job(job.key)
    assert stored is not None and (stored.status, stored.attempts) == ("failed", 3)
    assert len(recorder.runs) == 3 and [k for k, _ in recorder.given_up] == [job.key]
    reason = recorder.given_up[0][1]
    assert "3 attempts" in reason and "ConnectionError: database went away" in reason
    assert "\x00" not in reason and "\ud800" not in reason and stored.last_error is not None


async def test_retry_state_survives_a_restart_mid_backoff(store: SQLStore) -> None:
    policy = RetryPolicy(max_attempts=3, base_delay_s=1.0, max_delay_s=1.0)  # 0.5 to 1 s with jitter
    recorder = Recorder(failures=1)
    [job] = await _outbox(store, 1)
    jobs = InProcessJobs(store, recorder.handler, policy=policy)
    await jobs.start()
    with anyio.fail_after(5):
        while (stored := await store.get_job(job.key)) is None or stored.last_error is None:
            await anyio.sleep(0.01)
    await jobs.aclose()  # restart while the job backs off
    assert (stored.status, stored.attempts) == ("queued", 1)
    due = stored.next_attempt_at
    assert 0.4 < (due - stored.created_at).total_seconds() < 1.5

    await _run_outbox(store, recorder, policy)
    stored = await store.get_job(job.key)
    assert stored is not None and (stored.status, stored.attempts) == ("done", 2)  # not run again from 1
    [_, (_, second_run)] = recorder.runs
    assert second_run >= due  # not before it was due


async def test_runs_that_never_finished_use_up_the_attempts(store: SQLStore) -> None:
    """A job whose runner died in each of its attempts (a poison job) is given up, not run again."""
    recorder = Recorder()
    [job] = await _outbox(store, 1)
    for _ in range(QUICK.max_attempts):
        assert await store.start_job_attempt(job.key) is not None  # a run that was killed
    await _run_outbox(store, recorder)
    stored = await store.get_job(job.key)
    assert stored is not None and (stored.status, stored.attempts) == ("failed", 3)
    assert recorder.runs == [] and [k for k, _ in recorder.given_up] == [job.key]
    assert "no run recorded how it ended" in recorder.given_up[0][1]


async def test_outbox_is_swept_while_running(store: SQLStore) -> None:
    """Jobs stored while the runner runs but never handed to it (another process stored them, or the hand-over
    was lost) are picked up by the periodic sweep."""
    recorder = Recorder()
    jobs = InProcessJobs(store, recorder.handler, policy=QUICK, sweep_interval_s=0.1)
    await jobs.start()
    outbox = await _outbox(store, 2)
    with anyio.fail_after(5):
        while await store.pending_jobs():
            await anyio.sleep(0.02)
    await jobs.aclose()
    assert sorted(k for k, _ in recorder.runs) == sorted(j.key for j in outbox)


async def test_enqueue_before_start_keeps_the_job_in_the_outbox(store: SQLStore) -> None:
    [job] = await _outbox(store, 1)
    jobs = InProcessJobs(store, Recorder().handler, policy=QUICK)
    await jobs.enqueue(job)  # Engine(run_jobs=False): nothing runs here, nothing is lost
    assert [j.key for j in await store.pending_jobs()] == [job.key]


def _quick_jobs(settings: Settings, **update: object) -> Settings:
    return settings.model_copy(update={"job_retry_base_s": 0.01, "job_retry_max_s": 0.02,
                                       "job_sweep_interval_s": 0.1, **update})


async def test_answers_stored_by_an_engine_that_runs_no_jobs_are_evaluated_by_one_that_does(
    settings: Settings, source: FakeQuestionSource
) -> None:
    settings = _quick_jobs(settings)
    runner_evaluator = FakeEvaluator(default_score=90)
    async with Engine(settings, question_source=source, evaluator=runner_evaluator):
        async with Engine(settings, question_source=source, evaluator=FakeEvaluator(), run_jobs=False) as front:
            interview_id = await _answer_all(front)  # answer() succeeds though this engine runs no jobs
            report = await (await front.resume(interview_id)).report(timeout=10)
    assert report.overall_score == 90 and len(runner_evaluator.requests) == 2


async def test_a_job_that_gives_up_settles_its_evaluation_as_failed(
    settings: Settings, source: FakeQuestionSource, hooks: Any
) -> None:
    settings = _quick_jobs(settings, job_max_attempts=2, job_shutdown_grace_s=0)
    async with Engine(settings, question_source=source, evaluator=FakeEvaluator(delay=60)) as engine:
        interview_id = await _answer_all(engine, count=1)
        await anyio.sleep(0.1)  # the job is running, stuck in the slow evaluator; shutdown leaves it queued
    async with Engine(settings, question_source=source) as engine:  # no evaluator: every run fails
        engine.plugins.register(hooks, name="recorder")
        report = await (await engine.resume(interview_id)).report(timeout=10)
        [job] = await _all_jobs(engine.store, interview_id)
    [result] = report.questions
    assert result.evaluation is not None and result.evaluation.status == "failed"
    assert "2 attempts" in (result.evaluation.reason or "") and "no evaluator" in (result.evaluation.reason or "")
    assert (job.status, job.attempts) == ("failed", 2)
    assert len(hooks.named("after_answer_evaluated")) == 1 and len(hooks.named("on_session_finished")) == 1


async def _all_jobs(store: Store, interview_id: str) -> list[JobRecord]:
    jobs = [await store.get_job(evaluation_job(a.id).key) for a in await store.list_answers(interview_id)]
    return [j for j in jobs if j is not None]


# arq on the real Redis


@pytest.fixture
def arq_settings(settings: Settings, redis_url: str) -> Settings:
    return settings.model_copy(update={"jobs": "arq", "redis_url": redis_url, "evaluation_timeout_s": 3})


async def test_arq_worker_runs_evaluations(arq_settings: Settings, source: FakeQuestionSource, arq_burst: Any) -> None:
    submitter = FakeEvaluator()
    async with Engine(arq_settings, question_source=source, evaluator=submitter) as engine:
        interview_id = await _answer_all(engine)
        worker_evaluator = FakeEvaluator(default_score=90)
        await arq_burst(arq_settings, worker_evaluator)
        await engine.jobs.drain(timeout=10)
        report = await (await engine.resume(interview_id)).report(timeout=10)
    assert submitter.requests == [] and len(worker_evaluator.requests) == 2
    assert report.overall_score == 90


async def test_arq_duplicate_enqueues_leave_one_evaluation(
    arq_settings: Settings, source: FakeQuestionSource, arq_burst: Any
) -> None:
    async with Engine(arq_settings, question_source=source, evaluator=FakeEvaluator()) as engine:
        interview_id = await _answer_all(engine, count=1)
        for job in await engine.store.pending_jobs():
            await engine.jobs.enqueue(job)
            await engine.jobs.enqueue(job)
        await engine.jobs.start()
        worker_evaluator = FakeEvaluator()
        await arq_burst(arq_settings, worker_evaluator)
        evaluations = await engine.store.list_evaluations(interview_id)
    assert len(worker_evaluator.requests) == 1
    assert [e.status for e in evaluations] == ["done"]


async def test_arq_retries_a_failing_job_then_settles_it_as_failed(
    arq_settings: Settings, source: FakeQuestionSource, redis_url: str, arq_burst: Any
) -> None:
    settings = _quick_jobs(arq_settings, job_max_attempts=3)
    async with Engine(settings, question_source=source, evaluator=FakeEvaluator()) as engine:
        interview_id = await _answer_all(engine, count=1)
        await arq_burst(settings, None)  # a worker with no evaluator: every run fails
        report = await (await engine.resume(interview_id)).report(timeout=10)
        [job] = await _all_jobs(engine.store, interview_id)
    [result] = report.questions
    assert result.evaluation is not None and result.evaluation.status == "failed"
    assert "3 attempts" in (result.evaluation.reason or "")
    assert (job.status, job.attempts) == ("failed", 3)
    assert await _arq_keys(redis_url) == []  # nothing kept that would block a later enqueue of the key


async def test_arq_runs_a_resent_job_that_arq_dropped(
    arq_settings: Settings, source: FakeQuestionSource, arq_burst: Any
) -> None:
    """A job arq ended without running it (here: its key expired) while the outbox still holds it as queued
    runs when the outbox sends it again."""
    from redis.asyncio import Redis

    async with Engine(arq_settings, question_source=source, evaluator=FakeEvaluator()) as engine:
        interview_id = await _answer_all(engine, count=1)
        [job] = await engine.store.pending_jobs()
    client = Redis.from_url(arq_settings.redis_url)
    await client.delete(f"arq:job:{job.key}")  # what Redis does when the job's time to live runs out
    await client.aclose()
    await arq_burst(arq_settings, FakeEvaluator())  # arq finds it expired and drops it
    worker_evaluator = FakeEvaluator(default_score=90)
    async with Engine(arq_settings, question_source=source, evaluator=FakeEvaluator()) as engine:  # sends it again
        await arq_burst(arq_settings, worker_evaluator)
        report = await (await engine.resume(interview_id)).report(timeout=10)
    assert len(worker_evaluator.requests) == 1 and report.overall_score == 90


async def _arq_keys(redis_url: str) -> list[bytes]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        return sorted(k for k in await client.keys("arq:*") if not k.endswith(b"health-check"))
    finally:
        await client.aclose()


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
        stored = await engine.store.get_job(job.key)
    assert [(e.status, e.scores[0].score) for e in evaluations] == [("done", 80)]
    assert report.overall_score == 80
    assert stored is not None and (stored.status, stored.attempts) == ("done", 2)  # the killed run counts
    assert time.monotonic() - started < 60
