"""A process killed with SIGKILL in the middle of an interview loses no stored answer, and the resumed
session continues at the right question with its evaluations completed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from interview_engine import Engine, Settings
from interview_engine.testing import FakeEvaluator, FakeQuestionSource

CHILD = textwrap.dedent("""
    import sys, anyio
    from interview_engine import Engine, Settings
    from interview_engine.testing import FakeEvaluator, FakeQuestionSource

    async def main():
        source = FakeQuestionSource()
        for _ in range(50):
            source.enqueue_follow_up("Could you give an example?")
        settings = Settings(database_url=sys.argv[1], plugins="")
        async with Engine(settings, question_source=source, evaluator=FakeEvaluator(delay=30)) as engine:
            session = await engine.start({"role": "backend", "question_count": 8, "max_follow_ups": 1})
            print("interview", session.id, flush=True)
            n = 0
            while (question := session.current_question) is not None:
                n += 1
                await session.answer(question.id, f"answer number {n} about indexes and caching")
                print("stored", question.id, n, flush=True)
                if n == 5:
                    print("ready", flush=True)
                    await anyio.sleep(3600)   # killed here, with five evaluations in flight

    anyio.run(main)
""")


def run_child_until_killed(url: str) -> tuple[str, list[tuple[str, str]]]:
    """Run the interview in a child process, SIGKILL it once it is ready; return the interview id and
    the (question id, answer) pairs it acknowledged as stored."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, url], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "INTERVIEW_ENGINE_PLUGINS": ""})
    lines = []
    assert child.stdout is not None
    for line in child.stdout:
        lines.append(line.split())
        if line.startswith("ready"):
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    acknowledged = [(words[1], f"answer number {words[2]} about indexes and caching")
                    for words in lines if words[0] == "stored"]
    return lines[0][1], acknowledged


@pytest.mark.anyio
async def test_sigkill_mid_interview_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    interview_id, acknowledged = await anyio.to_thread.run_sync(run_child_until_killed, url)
    assert len(acknowledged) == 5

    evaluator = FakeEvaluator()
    async with Engine(Settings(database_url=url, plugins=""), question_source=FakeQuestionSource(),
                      evaluator=evaluator) as engine:
        session = await engine.resume(interview_id)
        stored = [(a.question_id, a.text) for a in session.answers]
        assert stored == acknowledged
        # 5 answers: root, its follow-up, root, its follow-up, root -> the 3rd root's follow-up is next
        current = session.current_question
        assert current is not None and current.kind == "follow_up"
        assert current.parent_id == acknowledged[-1][0]
        while (question := session.current_question) is not None:
            await session.answer(question.id, "resumed answer with enough words to be scored fairly here")
        await session.finish()
        report = await session.report(timeout=30)
    assert len(evaluator.requests) == len(report.questions)  # the 5 killed jobs ran again, once each
    assert all(r.evaluation is not None and r.evaluation.status == "done" for r in report.questions)
