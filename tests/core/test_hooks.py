"""Each lifecycle hook has its own test (test_hook_<name>); a meta-test checks that every hook is
documented in its spec (a lifecycle hook saying in which process it runs) and in docs/plugins.md, and has
such a test."""

from __future__ import annotations

import inspect
import logging
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from interview_engine import Engine, hookimpl
from interview_engine import hookspecs as specs
from interview_engine.models import Report
from interview_engine.testing import FakeEvaluator

ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."
ROOT = Path(__file__).parents[2]
ALL_HOOKS = [name for name, fn in inspect.getmembers(specs, inspect.isfunction)
             if hasattr(fn, "interview_engine_spec")]


async def _interview(engine: Engine, count: int = 2):  # type: ignore[no-untyped-def]
    session = await engine.start({"role": "backend", "question_count": count})
    while (question := session.current_question) is not None:
        await session.answer(question.id, ANSWER)
    await session.finish()
    return session, await session.report(timeout=10)


@pytest.mark.anyio
async def test_hook_on_session_started(engine: Engine, hooks) -> None:  # type: ignore[no-untyped-def]
    session = await engine.start({"role": "backend", "question_count": 2})
    [call] = hooks.named("on_session_started")
    assert call["interview"].id == session.id and call["questions"] == session.questions
    assert hooks.calls[0][0] == "on_session_started"


@pytest.mark.anyio
async def test_hook_after_question_asked(engine: Engine, hooks) -> None:  # type: ignore[no-untyped-def]
    session, _ = await _interview(engine)
    asked = [c["question"] for c in hooks.named("after_question_asked")]
    assert asked == session.questions


@pytest.mark.anyio
async def test_hook_after_answer_recorded(engine: Engine, hooks) -> None:  # type: ignore[no-untyped-def]
    session, _ = await _interview(engine)
    recorded = hooks.named("after_answer_recorded")
    assert [c["answer"] for c in recorded] == session.answers
    stored = {a.id for a in await engine.store.list_answers(session.id)}
    assert {c["answer"].id for c in recorded} == stored  # stored before the hook saw it


@pytest.mark.anyio
async def test_hook_after_answer_evaluated(engine: Engine, hooks, evaluator: FakeEvaluator) -> None:  # type: ignore[no-untyped-def]
    evaluator.fail_next("no JSON")
    session, _report = await _interview(engine)
    evaluated = hooks.named("after_answer_evaluated")
    assert sorted(c["evaluation"].status for c in evaluated) == ["done", "failed"]
    assert {c["answer"].id for c in evaluated} == {a.id for a in session.answers}


@pytest.mark.anyio
async def test_hook_on_session_finished(engine: Engine, hooks) -> None:  # type: ignore[no-untyped-def]
    session, report = await _interview(engine)
    await engine.resume(session.id)  # finalizing again does not fire the hook twice
    [call] = hooks.named("on_session_finished")
    assert call["report"] == report
    assert hooks.calls[-1][0] == "on_session_finished"


@pytest.mark.anyio
async def test_hook_on_session_paused(engine: Engine, hooks) -> None:  # type: ignore[no-untyped-def]
    session = await engine.start({"role": "backend", "question_count": 2})
    await session.pause()
    await session.pause()  # already paused: no second call
    [call] = hooks.named("on_session_paused")
    assert call["interview"].id == session.id and call["interview"].state == "paused"


@pytest.mark.anyio
async def test_hook_on_session_unpaused(engine: Engine, hooks) -> None:  # type: ignore[no-untyped-def]
    session = await engine.start({"role": "backend", "question_count": 2})
    await session.unpause()  # not paused: no call
    await session.pause()
    await session.unpause()
    await session.unpause()
    [call] = hooks.named("on_session_unpaused")
    assert call["interview"].id == session.id and call["interview"].state == "in_progress"


@pytest.mark.anyio
async def test_a_failing_hook_does_not_stop_the_interview(engine: Engine, hooks) -> None:  # type: ignore[no-untyped-def]
    class Broken:
        @hookimpl
        def after_answer_recorded(self, answer):  # type: ignore[no-untyped-def]
            raise RuntimeError("webhook down")

    engine.plugins.register(Broken(), name="broken")
    _, report = await _interview(engine)
    assert isinstance(report, Report) and len(hooks.named("after_answer_recorded")) == 2


@pytest.mark.anyio
async def test_a_failing_async_hook_is_logged_and_the_others_still_run(
    engine: Engine, hooks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        @hookimpl(tryfirst=True)
        async def after_answer_recorded(self, answer: Any) -> None:
            raise RuntimeError("webhook down")

    engine.plugins.register(Broken(), name="broken")
    with caplog.at_level(logging.ERROR, logger="interview_engine.plugins"):
        await _interview(engine)
    assert len(hooks.named("after_answer_recorded")) == 2
    assert caplog.text.count("hook after_answer_recorded of plugin 'broken' failed") == 2
    assert "RuntimeError: webhook down" in caplog.text


@pytest.mark.anyio
async def test_lifecycle_hooks_run_through_pluggy_so_wrappers_see_them(engine: Engine, hooks: Any) -> None:
    seen: list[tuple[str, int]] = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def after_answer_recorded(self, answer: Any) -> Any:
            seen.append(("before", len(hooks.named("after_answer_recorded"))))
            results = yield
            seen.append(("after", len(results)))
            return results

    engine.plugins.register(Wrapper(), name="wrapper")
    session = await engine.start({"role": "backend", "question_count": 1})
    assert session.current_question is not None
    await session.answer(session.current_question.id, ANSWER)
    # the wrapper ran around the recorder, whose coroutine was awaited after the call
    assert seen == [("before", 0), ("after", 1)] and len(hooks.named("after_answer_recorded")) == 1


@pytest.mark.anyio
async def test_sync_lifecycle_hooks_run_off_the_event_loop(engine: Engine) -> None:
    threads: list[int] = []

    class Sync:
        @hookimpl
        def after_question_asked(self, question: Any) -> None:
            threads.append(threading.get_ident())

    engine.plugins.register(Sync(), name="sync")
    await engine.start({"role": "backend", "question_count": 1})
    assert threads and threading.get_ident() not in threads


def test_every_hook_is_documented_and_tested() -> None:
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))
    assert len(ALL_HOOKS) == 12
    for name in ALL_HOOKS:
        doc = getattr(specs, name).__doc__ or ""
        assert doc.strip(), f"hook {name} has no docstring"
        if not name.startswith("register_"):  # a lifecycle hook: the plugin author must know which process
            assert re.search(r"\bRuns (in|where)\b", doc), f"hook {name} does not say where it runs ('Runs in ...')"
        assert re.search(rf"^#+ `{name}", docs, re.M), f"hook {name} has no section in docs/plugins.md"
        assert f"def test_hook_{name}(" in tests, f"hook {name} has no test_hook_{name}"
