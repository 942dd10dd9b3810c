"""Engine overhead per turn with instant fake providers on SQLite, against the bare SQL writes a turn needs.

A turn is one `Session.answer`: the answer checked, stored with its pending evaluation and evaluation job
in one transaction, the job enqueued, the follow-up asked for (the fake says no), the next question
returned. Between turns the evaluation jobs run to completion untimed, as they would while a candidate
reads the next question. The baseline runs the same three INSERTs in one transaction through the same
SQLAlchemy engine and connection settings, with nothing else.

    python bench/engine_overhead.py [--turns 10000]

Targets: p50 under 2 ms, and at most 1.5x the bare writes.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import anyio

from interview_engine import Engine, Settings
from interview_engine.jobs import evaluation_job
from interview_engine.models import Answer, Evaluation, Interview, InterviewSpec, Question
from interview_engine.store import tables as t
from interview_engine.store.sql import SQLStore
from interview_engine.testing import FakeEvaluator, FakeQuestionSource

QUESTIONS_PER_INTERVIEW = 25
ANSWER = "I would add a composite index on (tenant_id, created_at) and compare EXPLAIN ANALYZE before and after."
RESULTS = Path(__file__).parent / "results" / "engine_overhead.json"


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def engine_turns(db: Path, turns: int) -> list[float]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{db}", plugins="", job_concurrency=2)
    timings: list[float] = []
    async with Engine(settings, question_source=FakeQuestionSource(), evaluator=FakeEvaluator()) as engine:
        while len(timings) < turns:
            session = await engine.start({"role": "backend", "question_count": QUESTIONS_PER_INTERVIEW,
                                          "max_follow_ups": 1})
            question = session.current_question
            while question is not None and len(timings) < turns:
                started = time.perf_counter()
                question = await session.answer(question.id, ANSWER)
                timings.append(time.perf_counter() - started)
                await engine.jobs.drain(timeout=30)
    return timings


async def bare_writes(db: Path, turns: int) -> list[float]:
    store = SQLStore(f"sqlite+aiosqlite:///{db}")
    await store.open()
    interview = Interview(spec=InterviewSpec(role="backend", question_count=1))
    questions = [Question(interview_id=interview.id, ordinal=i, kind="generated", text="q?") for i in range(turns)]
    await store.create_interview(interview, questions)
    timings: list[float] = []
    for question in questions:
        answer = Answer(interview_id=interview.id, question_id=question.id, text=ANSWER)
        evaluation = Evaluation(answer_id=answer.id, interview_id=interview.id, question_id=question.id)
        job = evaluation_job(answer.id)
        answer_row, evaluation_row, job_row = answer.model_dump(), evaluation.model_dump(), job.model_dump()
        started = time.perf_counter()
        async with store.engine.begin() as conn:
            await conn.execute(t.answers.insert(), answer_row)
            await conn.execute(t.evaluations.insert(), evaluation_row)
            await conn.execute(t.jobs.insert(), job_row)
        timings.append(time.perf_counter() - started)
    await store.aclose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare = anyio.run(bare_writes, Path(tmp) / "bare.db", args.turns)
        turns = anyio.run(engine_turns, Path(tmp) / "engine.db", args.turns)
    rows = {
        "engine turn": turns,
        "bare SQL writes": bare,
    }
    summary = {name: {"p50_ms": percentile(s, 50) * 1e3, "p99_ms": percentile(s, 99) * 1e3,
                      "mean_ms": statistics.fmean(s) * 1e3, "n": len(s)} for name, s in rows.items()}
    ratio_p50 = summary["engine turn"]["p50_ms"] / summary["bare SQL writes"]["p50_ms"]
    ratio_p99 = summary["engine turn"]["p99_ms"] / summary["bare SQL writes"]["p99_ms"]
    print(f"{'':18}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'n':>8}")
    for name, s in summary.items():
        print(f"{name:18}{s['p50_ms']:9.3f}{s['p99_ms']:9.3f}{s['mean_ms']:9.3f}{s['n']:8d}")
    print(f"{'engine / bare':18}{ratio_p50:8.2f}x{ratio_p99:8.2f}x")
    targets = {"p50_under_2ms": summary["engine turn"]["p50_ms"] < 2.0, "at_most_1_5x_bare_p50": ratio_p50 <= 1.5}
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items()))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "ratio_p50": ratio_p50, "ratio_p99": ratio_p99,
                                   "targets": targets, "machine": platform.platform(),
                                   "python": platform.python_version()}, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
