"""ServerHooks on a real Engine: an interview's lifecycle becomes the events a candidate and a recruiter see
and the webhooks the host gets, once each even when hooks run again; and in arq mode an
``interview-engine worker`` process (with the server's settings in its environment) publishes the
evaluation events and report.ready that a server process receives live."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from interview_engine import Engine, Settings
from interview_engine.testing.fakes import FakeEvaluator, FakeQuestionSource
from interview_engine_server.brokers import configured_redis_url, make_broker
from interview_engine_server.brokers.memory import InProcessBroker
from interview_engine_server.db import open_database
from interview_engine_server.events import Event, EventLog
from interview_engine_server.hooks import ServerHooks
from interview_engine_server.webhook_tables import webhook_messages
from interview_engine_server.webhooks import WebhookService
from interview_engine_server.worker_hooks import WorkerHooks

pytestmark = pytest.mark.anyio

TENANT = "acme"
SPEC = {"role": "backend engineer", "question_count": 2, "max_follow_ups": 0}
ANSWER = "I would put a queue in front of the workers and make every consumer idempotent."


async def stored_webhooks(db: AsyncEngine) -> list[dict[str, object]]:
    async with db.connect() as conn:
        rows = (await conn.execute(sa.select(webhook_messages.c.body).order_by(webhook_messages.c.created_at))).all()
    return [json.loads(row.body) for row in rows]


async def everything(events: EventLog, interview_id: str, *, recruiter: bool) -> list[Event]:
    return await events.read(tenant_id=TENANT, interview_id=interview_id, include_recruiter_only=recruiter)


async def test_an_interview_becomes_events_and_webhooks_once_each(tmp_path: Path, sqlite_db: AsyncEngine) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'sdk.db'}", transcriber=None,
                        emotion_analyzer=None)
    async with EventLog(sqlite_db, InProcessBroker()) as events, WebhookService(sqlite_db) as webhooks, \
            Engine(settings, question_source=FakeQuestionSource(), evaluator=FakeEvaluator()) as engine:
        hooks = ServerHooks(events, webhooks)
        engine.plugins.register(hooks)
        session = await engine.start(SPEC, tenant=TENANT)
        await session.pause()
        await session.unpause()
        while (question := session.current_question) is not None:
            await session.answer(question.id, ANSWER)
        await session.finish()
        report = await session.report()

        async with asyncio.timeout(5):  # the first evaluation's hook may still be publishing beside the report
            while len(recruiter := await everything(events, session.id, recruiter=True)) < 12:
                await asyncio.sleep(0.02)
        candidate = await everything(events, session.id, recruiter=False)
        answers = await engine.store.list_answers(session.id)
        # jobs are at-least-once: the hooks of a retried evaluation and a second finalize add nothing
        evaluation = await engine.store.get_evaluation(answers[0].id)
        assert evaluation is not None
        await hooks.after_answer_evaluated(session.interview, answers[0], evaluation)
        await hooks.on_session_finished(session.interview, report)
        assert await everything(events, session.id, recruiter=True) == recruiter

        await engine.delete_interview(session.id, tenant=TENANT)
        for _ in range(2):
            await hooks.interview_deleted(tenant_id=TENANT, interview_id=session.id)
        assert await everything(events, session.id, recruiter=True) == []

    types = [e.type for e in candidate]  # evaluations run beside the interview: their place varies
    assert [t for t in types if t != "evaluation.updated"] == [
        "question.asked", "interview.paused", "interview.resumed", "answer.recorded", "question.asked",
        "answer.recorded", "interview.finished", "report.ready"]
    assert types.count("evaluation.updated") == 2 and types.index("evaluation.updated") > types.index("answer.recorded")
    assert all("scores" not in e.data and "score" not in json.dumps(e.data) for e in candidate)
    assert [e.data["status"] for e in candidate if e.type == "evaluation.updated"] == ["done", "done"]
    scored = [e for e in recruiter if e.recruiter_only]
    assert [e.type for e in scored] == ["evaluation.updated"] * 2
    assert all(s["score"] == 70 for e in scored for s in e.data["scores"])
    assert candidate[0].data["text"] == session.questions[0].text

    sent = await stored_webhooks(sqlite_db)
    assert [m["type"] for m in sent] == ["interview.started", "interview.finished", "report.ready",
                                         "interview.deleted"]
    assert all(m["data"]["interview_id"] == session.id for m in sent)  # type: ignore[index]
    assert sent[2]["data"]["report"]["overall_score"] == report.overall_score  # type: ignore[index]


async def test_the_worker_plugin_is_quiet_without_the_server_settings_or_beside_the_apps_own_hooks(
        monkeypatch: pytest.MonkeyPatch, sqlite_db: AsyncEngine) -> None:
    for name in [n for n in os.environ if n.startswith("INTERVIEW_ENGINE_SERVER_")]:
        monkeypatch.delenv(name)
    plugin = WorkerHooks()
    assert await plugin._targets() is None
    monkeypatch.setenv("INTERVIEW_ENGINE_SERVER_PUBLIC_URL", "https://interviews.example.com")
    async with EventLog(sqlite_db, InProcessBroker()) as events, WebhookService(sqlite_db) as webhooks:
        apps_own = ServerHooks(events, webhooks)
        assert await plugin._targets() is None
        del apps_own


WORKER_TIMEOUT_S = 60


async def test_an_arq_worker_process_publishes_evaluations_and_the_report_to_a_server_process(
        postgres_url: str, redis_url: str) -> None:
    settings = Settings(database_url=postgres_url, jobs="arq", redis_url=redis_url, transcriber=None,
                        emotion_analyzer=None, evaluator="fake", plugin_modules="interview_engine.testing.plugin",
                        question_source="fake")
    db = await open_database(postgres_url)
    broker = make_broker(database_url=postgres_url, redis_url=configured_redis_url(settings))
    try:
        async with EventLog(db, broker) as events, WebhookService(db) as webhooks, Engine(settings) as engine:
            hooks = ServerHooks(events, webhooks)
            engine.plugins.register(hooks)
            session = await engine.start(SPEC, tenant=TENANT)
            while (question := session.current_question) is not None:
                await session.answer(question.id, ANSWER)
            await session.finish()
            await hooks.interview_finished(session.interview)  # what the API does after finish()
            seen: list[Event] = []

            async def watch() -> None:
                async for event in events.subscribe(tenant_id=TENANT, interview_id=session.id,
                                                    include_recruiter_only=True):
                    seen.append(event)
                    types = [e.type for e in seen]
                    if "report.ready" in types and types.count("evaluation.updated") == 4:
                        return

            watcher = asyncio.create_task(watch())
            env = {**os.environ, "INTERVIEW_ENGINE_DATABASE_URL": postgres_url, "INTERVIEW_ENGINE_JOBS": "arq",
                   "INTERVIEW_ENGINE_REDIS_URL": redis_url, "INTERVIEW_ENGINE_EVALUATOR": "fake",
                   "INTERVIEW_ENGINE_QUESTION_SOURCE": "fake", "INTERVIEW_ENGINE_TRANSCRIBER": "",
                   "INTERVIEW_ENGINE_PLUGIN_MODULES": "interview_engine.testing.plugin",
                   "INTERVIEW_ENGINE_SERVER_PUBLIC_URL": "https://interviews.example.com"}
            worker = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "interview_engine", "worker", "--burst", env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            _, stderr = await asyncio.wait_for(worker.communicate(), WORKER_TIMEOUT_S)
            assert worker.returncode == 0, stderr.decode()[-3000:]
            await asyncio.wait_for(watcher, 10)
            assert (await session.report(wait=False)).overall_score is not None
    finally:
        await db.dispose()

    types = [e.type for e in seen]  # a status event and a recruiter-only scored event per answer
    assert types.count("interview.finished") == 1 and types.count("report.ready") == 1
    assert types.count("evaluation.updated") == 4
    sent = [m["type"] for m in await _messages(postgres_url)]
    assert sorted(sent) == ["interview.finished", "interview.started", "report.ready"]


async def _messages(url: str) -> list[dict[str, object]]:
    db = create_async_engine(url)
    try:
        return await stored_webhooks(db)
    finally:
        await db.dispose()
