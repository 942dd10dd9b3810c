"""Engine.list_interviews on SQLite and Postgres: filters run in SQL, pages are newest first and stable
under inserts, and every bad filter or cursor is an InvalidQuery."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from interview_engine import (
    Engine,
    InterviewPage,
    InterviewSummary,
    InvalidQuery,
)
from interview_engine.models import Interview, InterviewSpec, Question
from interview_engine.testing import FakeEvaluator, sit_interview

pytestmark = pytest.mark.anyio



async def _interview(engine: Engine, role: str, *, answers: int, finish: bool) -> str:
    spec = {"role": role, "question_count": 2, "language": "ko", "level": "senior"}
    return (await sit_interview(engine, spec, answers=answers, finish=finish)).id


async def _ids(engine: Engine, **filters: object) -> list[str]:
    page = await engine.list_interviews(**filters)  # type: ignore[arg-type]
    return [s.id for s in page.items]


async def test_filters_and_summaries(db_engine: Engine, evaluator: FakeEvaluator) -> None:
    evaluator.default_score = 90
    high = await _interview(db_engine, "backend", answers=2, finish=True)
    evaluator.default_score = 40
    low = await _interview(db_engine, "frontend", answers=2, finish=True)
    running = await _interview(db_engine, "backend", answers=1, finish=False)
    await db_engine.start({"role": "backend"}, tenant="globex")

    page = await db_engine.list_interviews()
    assert isinstance(page, InterviewPage) and page.next_cursor is None
    assert [s.id for s in page.items] == [running, low, high]
    summary = page.items[0]
    assert isinstance(summary, InterviewSummary)
    assert (summary.tenant_id, summary.role, summary.level, summary.language, summary.state) == (
        "acme", "backend", "senior", "ko", "in_progress")
    assert (summary.question_count, summary.answered_count, summary.overall_score) == (2, 1, None)
    assert summary.finished_at is None and page.items[1].finished_at is not None
    assert [s.overall_score for s in page.items[1:]] == [40, 90]

    assert await _ids(db_engine, role="backend") == [running, high]
    assert await _ids(db_engine, state="finished") == [low, high]
    assert await _ids(db_engine, state="in_progress") == [running]
    assert await _ids(db_engine, min_score=50) == [high]
    assert await _ids(db_engine, max_score=50) == [low]
    assert await _ids(db_engine, min_score=40, max_score=90) == [low, high]
    low_created = page.items[1].created_at
    assert await _ids(db_engine, created_after=low_created) == [running, low]
    assert await _ids(db_engine, created_before=low_created) == [high]
    assert await _ids(db_engine, role="backend", state="finished", min_score=80) == [high]


async def test_score_filter_runs_before_the_limit(db_engine: Engine, evaluator: FakeEvaluator) -> None:
    evaluator.default_score = 90
    high = await _interview(db_engine, "backend", answers=2, finish=True)
    evaluator.default_score = 30
    for _ in range(3):
        await _interview(db_engine, "backend", answers=2, finish=True)
    page = await db_engine.list_interviews(min_score=80, limit=1)
    assert [s.id for s in page.items] == [high] and page.next_cursor is None


async def test_pages_are_newest_first_and_stable_under_inserts(db_engine: Engine) -> None:
    created = [await _interview(db_engine, "backend", answers=0, finish=False) for _ in range(5)]
    first = await db_engine.list_interviews(limit=2)
    assert [s.id for s in first.items] == created[:-3:-1] and first.next_cursor is not None
    newer = await _interview(db_engine, "backend", answers=0, finish=False)
    second = await db_engine.list_interviews(limit=2, cursor=first.next_cursor)
    third = await db_engine.list_interviews(limit=2, cursor=second.next_cursor)
    assert [s.id for s in second.items + third.items] == created[2::-1] and third.next_cursor is None
    assert [s.id for s in (await db_engine.list_interviews(limit=1)).items] == [newer]


async def test_interviews_created_at_the_same_instant_are_each_listed_once(db_engine: Engine) -> None:
    same = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for _ in range(4):
        interview = Interview(spec=InterviewSpec(role="backend"), tenant_id="acme", created_at=same)
        question = Question(interview_id=interview.id, ordinal=0, kind="custom", text="Why?")
        await db_engine.store.create_interview(interview, [question])
    seen: list[str] = []
    cursor = None
    while True:
        page = await db_engine.list_interviews(limit=1, cursor=cursor)
        seen += [s.id for s in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert len(seen) == len(set(seen)) == 4
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize("filters", [
    {"limit": 0}, {"limit": 1_000}, {"limit": True}, {"limit": "5"},
    {"state": "archived"}, {"role": "a\x00b"}, {"role": "r" * 1_000},
    {"min_score": math.nan}, {"max_score": math.inf}, {"min_score": -1}, {"max_score": 101},
    {"min_score": 80, "max_score": 20},
    {"created_after": datetime(2026, 1, 1)}, {"created_before": "yesterday"},
    {"cursor": "not a cursor"}, {"cursor": "x" * 10_000}, {"cursor": "\x00"}, {"cursor": 7},
], ids=repr)
async def test_bad_queries_are_typed_errors(db_engine: Engine, filters: dict[str, object]) -> None:
    with pytest.raises(InvalidQuery):
        await db_engine.list_interviews(**filters)  # type: ignore[arg-type]
