"""The SQL store on SQLAlchemy 2 async: SQLite (aiosqlite) by default, Postgres (asyncpg) the same way."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import anyio
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from ..errors import ConfigurationError, IllegalTransition
from ..identifiers import interview_not_found, is_interview_id, tenant_problem
from ..jobs.base import evaluation_job
from ..listing import InterviewQuery, page_of
from ..models import (
    Answer,
    EmotionSample,
    Evaluation,
    Interview,
    InterviewPage,
    InterviewState,
    InterviewSummary,
    Question,
    Report,
    utcnow,
)
from ..order import Slot, check_added, check_answer
from ..settings import DEFAULT_DATABASE_URL
from . import tables as t
from .base import JobRecord
from .sql_listing import listing_select

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def shielded(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run a store operation shielded from cancellation: a started transaction always completes or
    rolls back on its own terms, so a cancelled caller never leaves a connection half-used."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with anyio.CancelScope(shield=True):
            result = await method(*args, **kwargs)
        return result

    return wrapper

MIGRATIONS = Path(__file__).parent / "migrations"


def run_migrations(sync_connection: Connection, revision: str = "head") -> None:
    """Upgrade the schema on an open connection to ``revision`` with Alembic."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = sync_connection
    command.upgrade(config, revision)


class SQLStore:
    """A Store on any SQLAlchemy async URL. SQLite runs in WAL mode behind one connection, so writes
    from concurrent tasks queue instead of failing with "database is locked"."""

    def __init__(self, url: str = DEFAULT_DATABASE_URL, *, auto_migrate: bool = True, echo: bool = False) -> None:
        try:
            self.url = make_url(url)
        except ArgumentError as exc:
            raise ConfigurationError(f"invalid database URL {url!r}: {exc}") from exc
        self.auto_migrate = auto_migrate
        self._echo = echo
        self._engine: AsyncEngine | None = None
        self._reads: AsyncEngine | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("SQLStore is not open; call `await store.open()` first")
        return self._engine

    @property
    def reads(self) -> AsyncEngine:
        """The engine for single-statement reads: on Postgres it autocommits, so a read is one round trip
        instead of BEGIN, the query and ROLLBACK (the pool is shared). SQLite begins no transaction for a
        read anyway, so there it is ``engine``."""
        if self._reads is None:
            raise RuntimeError("SQLStore is not open; call `await store.open()` first")
        return self._reads

    async def open(self) -> None:
        if self._engine is not None:
            return
        kwargs: dict[str, Any] = {"echo": self._echo}
        if self.is_sqlite:
            memory = self.url.database in (None, "", ":memory:")
            kwargs.update(poolclass=StaticPool) if memory else kwargs.update(pool_size=1, max_overflow=0)
            kwargs["connect_args"] = {"check_same_thread": False}
        try:
            engine = create_async_engine(self.url, **kwargs)
        except (ArgumentError, ModuleNotFoundError) as exc:
            raise ConfigurationError(f"cannot use database URL {self.url!r}: {exc}") from exc
        if self.is_sqlite:
            sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        self._engine = engine
        self._reads = engine if self.is_sqlite else engine.execution_options(isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            await self.aclose()
            raise ConfigurationError(f"cannot connect to {self.url!r}: {exc}") from exc
        if self.auto_migrate:
            await self.migrate()

    async def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to ``revision``."""
        async with self.engine.begin() as conn:
            await conn.run_sync(run_migrations, revision)

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = self._reads = None

    # interviews and questions

    @shielded
    async def create_interview(
        self, interview: Interview, questions: list[Question], job: JobRecord | None = None
    ) -> None:
        async with self.engine.begin() as conn:
            await _insert_ignore(
                conn, t.tenants, {"id": interview.tenant_id, "name": interview.tenant_id, "created_at": utcnow()}
            )
            await conn.execute(
                t.interviews.insert(),
                {
                    "id": interview.id,
                    "tenant_id": interview.tenant_id,
                    "spec": interview.spec.model_dump(mode="json"),
                    "state": interview.state,
                    "created_at": interview.created_at,
                    "finished_at": interview.finished_at,
                },
            )
            if questions:
                await conn.execute(t.questions.insert(), [_question_row(q) for q in questions])
            if job is not None:
                await conn.execute(_INSERT_JOB, _job_row(job))  # keyed by a fresh interview id

    @shielded
    async def get_interview(self, interview_id: str, *, tenant: str | None = None) -> Interview:
        async with self.reads.connect() as conn:
            return _interview(await _interview_row(conn, interview_id, tenant))

    @shielded
    async def load_interview(
        self, interview_id: str, *, tenant: str | None = None
    ) -> tuple[Interview, list[Question], list[Answer]]:
        async with self.reads.connect() as conn:
            interview = _interview(await _interview_row(conn, interview_id, tenant))
            rows = (await conn.execute(_QUESTIONS_AND_ANSWERS, {"interview_id": interview_id})).all()
        questions, answers = [], []
        for row in rows:
            columns = row._mapping
            questions.append(Question.model_validate({c.name: columns[c] for c in t.questions.c}))
            if columns[t.answers.c.id] is not None:
                answers.append(Answer.model_validate({c.name: columns[c] for c in t.answers.c}))
        return interview, questions, answers

    @shielded
    async def list_interviews(self, query: InterviewQuery) -> InterviewPage:
        async with self.reads.connect() as conn:
            rows = (await conn.execute(listing_select(query))).mappings().all()
        return page_of([InterviewSummary.model_validate(dict(r)) for r in rows], query.limit)

    @shielded
    async def delete_interview(self, interview_id: str, *, tenant: str) -> None:
        async with self.engine.begin() as conn:
            await _interview_row(conn, interview_id, tenant, lock=True)
            answer_ids = (await conn.execute(
                sa.select(t.answers.c.id).where(t.answers.c.interview_id == interview_id))).scalars().all()
            keys = [evaluation_job(answer_id).key for answer_id in answer_ids]
            if keys:
                await conn.execute(t.jobs.delete().where(t.jobs.c.key.in_(keys)))
            for table in (t.evaluations, t.answers, t.emotion_samples, t.reports, t.questions):
                await conn.execute(table.delete().where(table.c.interview_id == interview_id))
            await conn.execute(t.interviews.delete().where(t.interviews.c.id == interview_id))

    @shielded
    async def set_paused(self, interview_id: str, paused: bool, *, tenant: str | None = None) -> tuple[Interview, bool]:
        async with self.engine.begin() as conn:
            interview = _interview(await _interview_row(conn, interview_id, tenant, lock=True))
            if interview.state == "finished":
                raise IllegalTransition("the interview is finished; it cannot be paused or unpaused")
            state: InterviewState = "paused" if paused else "in_progress"
            if interview.state == state:
                return interview, False
            await conn.execute(t.interviews.update().where(t.interviews.c.id == interview_id).values(state=state))
        return interview.model_copy(update={"state": state}), True

    @shielded
    async def finish_interview(
        self, interview_id: str, finished_at: datetime, *, tenant: str | None = None
    ) -> Interview:
        async with self.engine.begin() as conn:
            interview = _interview(await _interview_row(conn, interview_id, tenant, lock=True))
            if interview.state == "finished":
                return interview
            await conn.execute(
                t.interviews.update().where(t.interviews.c.id == interview_id)
                .values(state="finished", finished_at=finished_at)
            )
        return interview.model_copy(update={"state": "finished", "finished_at": finished_at})

    @shielded
    async def add_question(
        self, question: Question, *, tenant: str | None = None, not_after: datetime | None = None
    ) -> None:
        async with self.engine.begin() as conn:
            interview = _interview(await _interview_row(conn, question.interview_id, tenant, lock=True))
            slots = await _slots(conn, interview.id)
            check_added(interview.state, interview.spec.question_count, interview.spec.max_follow_ups, slots,
                        question, now=utcnow(), not_after=not_after)
            await conn.execute(t.questions.insert(), _question_row(question))

    @shielded
    async def list_questions(self, interview_id: str, *, tenant: str | None = None) -> list[Question]:
        query, params = _of_interview(t.questions, interview_id, tenant, "ordinal", "depth")
        async with self.reads.connect() as conn:
            rows = (await conn.execute(query, params)).mappings().all()
        return [Question.model_validate(dict(r)) for r in rows]

    # answers and evaluations

    @shielded
    async def record_answer(self, answer: Answer, job: JobRecord | None, *, tenant: str | None = None) -> None:
        async with self.engine.begin() as conn:
            interview = _interview(await _interview_row(conn, answer.interview_id, tenant, lock=True))
            check_answer(interview.state, await _slots(conn, interview.id), answer.question_id)
            await conn.execute(_INSERT_ANSWER, _answer_row(answer))
            if job is not None:
                await conn.execute(_INSERT_EVALUATION, _pending_evaluation_row(answer))
                await conn.execute(_INSERT_JOB, _job_row(job))  # keyed by a fresh answer id

    @shielded
    async def get_answer(self, answer_id: str) -> Answer:
        async with self.reads.connect() as conn:
            row = (await conn.execute(_ANSWER, {"b_answer": answer_id})).mappings().first()
        if row is None:
            raise KeyError(f"no answer with id {answer_id!r}")
        return Answer.model_validate(dict(row))

    @shielded
    async def list_answers(self, interview_id: str, *, tenant: str | None = None) -> list[Answer]:
        query, params = _of_interview(t.answers, interview_id, tenant, "created_at")
        async with self.reads.connect() as conn:
            rows = (await conn.execute(query, params)).mappings().all()
        return [Answer.model_validate(dict(r)) for r in rows]

    @shielded
    async def settle_evaluation(self, evaluation: Evaluation) -> bool:
        if evaluation.status == "pending":
            raise ValueError("settle_evaluation takes a done or failed evaluation")
        row = _evaluation_row(evaluation)
        row["b_answer"] = row.pop("answer_id")
        async with self.engine.begin() as conn:
            result = await conn.execute(_SETTLE_EVALUATION, row)
        return bool(result.rowcount)

    @shielded
    async def get_evaluation(self, answer_id: str) -> Evaluation | None:
        async with self.reads.connect() as conn:
            row = (await conn.execute(_EVALUATION, {"b_answer": answer_id})).mappings().first()
        return Evaluation.model_validate(dict(row)) if row else None

    @shielded
    async def list_evaluations(self, interview_id: str, *, tenant: str | None = None) -> list[Evaluation]:
        query, params = _of_interview(t.evaluations, interview_id, tenant)
        async with self.reads.connect() as conn:
            rows = (await conn.execute(query, params)).mappings().all()
        return [Evaluation.model_validate(dict(r)) for r in rows]

    # reports and emotions

    @shielded
    async def save_report(self, report: Report) -> bool:
        async with self.engine.begin() as conn:
            stored = await _insert_ignore(
                conn,
                t.reports,
                {"interview_id": report.interview_id, "body": report.model_dump(mode="json"),
                 "created_at": report.generated_at},
            )
            if stored:
                await conn.execute(t.interviews.update().where(t.interviews.c.id == report.interview_id)
                                   .values(overall_score=report.overall_score))
        return stored

    @shielded
    async def get_report(self, interview_id: str, *, tenant: str | None = None) -> Report | None:
        query, params = _of_interview(t.reports, interview_id, tenant)
        async with self.reads.connect() as conn:
            body = (await conn.execute(query.with_only_columns(t.reports.c.body), params)).scalar()
        return Report.model_validate(body) if body is not None else None

    @shielded
    async def add_emotion_samples(self, samples: list[EmotionSample], *, tenant: str | None = None) -> None:
        if not samples:
            return
        async with self.engine.begin() as conn:
            for interview_id in {s.interview_id for s in samples}:
                await _interview_row(conn, interview_id, tenant)
            await conn.execute(t.emotion_samples.insert(), [s.model_dump(mode="json") for s in samples])

    @shielded
    async def list_emotion_samples(self, interview_id: str, *, tenant: str | None = None) -> list[EmotionSample]:
        query, params = _of_interview(t.emotion_samples, interview_id, tenant, "t", "id")
        async with self.reads.connect() as conn:
            rows = (await conn.execute(query, params)).mappings().all()
        return [EmotionSample.model_validate({k: v for k, v in r.items() if k != "id"}) for r in rows]

    # job outbox

    @shielded
    async def pending_jobs(self) -> list[JobRecord]:
        query = sa.select(t.jobs).where(t.jobs.c.status == "queued").order_by(t.jobs.c.created_at)
        async with self.reads.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [JobRecord.model_validate(dict(r)) for r in rows]

    @shielded
    async def get_job(self, key: str) -> JobRecord | None:
        async with self.reads.connect() as conn:
            row = (await conn.execute(_JOB, {"b_key": key})).mappings().first()
        return JobRecord.model_validate(dict(row)) if row else None

    @shielded
    async def start_job_attempt(self, key: str) -> int | None:
        async with self.engine.begin() as conn:
            attempts: int | None = (await conn.execute(_START_JOB_ATTEMPT, {"b_key": key})).scalar()
        return attempts

    @shielded
    async def defer_job(self, key: str, *, error: str, next_attempt_at: datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_DEFER_JOB, {"b_key": key, "last_error": error, "next_attempt_at": next_attempt_at})

    @shielded
    async def finish_job(self, key: str, *, error: str | None = None) -> None:
        async with self.engine.begin() as conn:
            status = "failed" if error else "done"
            await conn.execute(_FINISH_JOB, {"b_key": key, "status": status, "last_error": error})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes; fsync at checkpoint
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")  # other processes (a CLI, a worker) wait, not fail
    cursor.close()


async def _insert_ignore(conn: AsyncConnection, table: sa.Table, values: dict[str, Any]) -> bool:
    """Insert a row unless its primary key exists; True when inserted."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    if conn.dialect.name not in ("postgresql", "sqlite"):
        raise ConfigurationError(f"the SQL store supports SQLite and Postgres, not {conn.dialect.name}")
    result = await conn.execute(insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)


_INTERVIEW = sa.select(t.interviews).where(t.interviews.c.id == sa.bindparam("interview_id"))
_TENANT_INTERVIEW = _INTERVIEW.where(t.interviews.c.tenant_id == sa.bindparam("tenant"))
_LOCKED_INTERVIEW = _INTERVIEW.with_for_update()
_LOCKED_TENANT_INTERVIEW = _TENANT_INTERVIEW.with_for_update()
_LOCK_INTERVIEW = (t.interviews.update().where(t.interviews.c.id == sa.bindparam("interview_id"))
                   .values(state=t.interviews.c.state).returning(*t.interviews.c))
_LOCK_TENANT_INTERVIEW = _LOCK_INTERVIEW.where(t.interviews.c.tenant_id == sa.bindparam("tenant"))
"""The interview reads and SQLite's locking no-op update (which returns the row it locked), built once (they
run on every session load and every write): SQLAlchemy neither rebuilds them nor computes their cache keys
again."""


_SLOTS = (sa.select(t.questions.c.id, t.questions.c.ordinal, t.questions.c.depth,
                    t.answers.c.id.is_not(None).label("answered"))
          .select_from(t.questions.outerjoin(t.answers, t.answers.c.question_id == t.questions.c.id))
          .where(t.questions.c.interview_id == sa.bindparam("interview_id")))
_QUESTIONS_AND_ANSWERS = (
    sa.select(t.questions, t.answers)
    .select_from(t.questions.outerjoin(t.answers, t.answers.c.question_id == t.questions.c.id))
    .where(t.questions.c.interview_id == sa.bindparam("interview_id"))
    .order_by(t.questions.c.ordinal, t.questions.c.depth)
    .set_label_style(sa.LABEL_STYLE_TABLENAME_PLUS_COL)
)
_INSERT_ANSWER = t.answers.insert()
_INSERT_EVALUATION = t.evaluations.insert()
_INSERT_JOB = t.jobs.insert()
_ANSWER = sa.select(t.answers).where(t.answers.c.id == sa.bindparam("b_answer"))
_EVALUATION = sa.select(t.evaluations).where(t.evaluations.c.answer_id == sa.bindparam("b_answer"))
_SETTLE_EVALUATION = t.evaluations.update().where(t.evaluations.c.answer_id == sa.bindparam("b_answer"),
                                                  t.evaluations.c.status == "pending")
_JOB = sa.select(t.jobs).where(t.jobs.c.key == sa.bindparam("b_key"))
_START_JOB_ATTEMPT = (t.jobs.update().where(t.jobs.c.key == sa.bindparam("b_key"), t.jobs.c.status == "queued")
                      .values(attempts=t.jobs.c.attempts + 1).returning(t.jobs.c.attempts))
_DEFER_JOB = t.jobs.update().where(t.jobs.c.key == sa.bindparam("b_key"), t.jobs.c.status == "queued")
_FINISH_JOB = t.jobs.update().where(t.jobs.c.key == sa.bindparam("b_key"))
"""The statements of every answer and its evaluation job, built once; an update without values sets the
columns its parameters name."""


async def _interview_row(
    conn: AsyncConnection, interview_id: str, tenant: str | None, *, lock: bool = False
) -> sa.RowMapping:
    """The interview's row, or InterviewNotFound (also for another tenant's and for a malformed id).

    With ``lock``, the row stays locked until the transaction ends, so the caller's checks and writes see
    no concurrent change: Postgres locks the row (``SELECT … FOR UPDATE``); SQLite takes its database write
    lock now (a no-op update returning the row, as the transaction's first statement), which also makes the
    reads that follow current.
    """
    if not is_interview_id(interview_id) or (tenant is not None and tenant_problem(tenant)):
        raise interview_not_found(interview_id)
    params = {"interview_id": interview_id} if tenant is None else {"interview_id": interview_id, "tenant": tenant}
    if lock and conn.dialect.name == "sqlite":
        query: sa.Executable = _LOCK_INTERVIEW if tenant is None else _LOCK_TENANT_INTERVIEW
    else:
        query = _INTERVIEW if tenant is None else _TENANT_INTERVIEW
        if lock:
            query = _LOCKED_INTERVIEW if tenant is None else _LOCKED_TENANT_INTERVIEW
    row = (await conn.execute(query, params)).mappings().first()
    if row is None:
        raise interview_not_found(interview_id)
    return row


async def _slots(conn: AsyncConnection, interview_id: str) -> list[Slot]:
    """Every question's place in the interview and whether it is answered, read in the caller's transaction."""
    rows = (await conn.execute(_SLOTS, {"interview_id": interview_id})).all()
    return [Slot(id=r.id, ordinal=r.ordinal, depth=r.depth, answered=bool(r.answered)) for r in rows]


def _of_interview(table: sa.Table, interview_id: str, tenant: str | None,
                  *order_by: str) -> tuple[sa.Select[Any], dict[str, str]]:
    """Rows of ``table`` that belong to the interview, as the tenant sees them (none for a malformed id),
    ordered by the named columns: the statement and its parameters."""
    if not is_interview_id(interview_id) or (tenant is not None and tenant_problem(tenant)):
        return sa.select(table).where(sa.false()), {}
    params = {"interview_id": interview_id} if tenant is None else {"interview_id": interview_id, "tenant": tenant}
    return _owned_rows(table, tenant is not None, order_by), params


@functools.cache
def _owned_rows(table: sa.Table, of_tenant: bool, order_by: tuple[str, ...]) -> sa.Select[Any]:
    """The statement of ``_of_interview`` with bound ``interview_id`` (and ``tenant``): one object per case,
    so SQLAlchemy builds it and computes its cache key once, not on every read."""
    query = sa.select(table).where(table.c.interview_id == sa.bindparam("interview_id"))
    if of_tenant:
        owned = sa.select(t.interviews.c.id).where(t.interviews.c.id == sa.bindparam("interview_id"),
                                                   t.interviews.c.tenant_id == sa.bindparam("tenant"))
        query = query.where(sa.exists(owned))
    return query.order_by(*(table.c[name] for name in order_by))


def _interview(row: Any) -> Interview:
    return Interview.model_validate({k: v for k, v in row.items() if k != "overall_score"})


def _question_row(q: Question) -> dict[str, Any]:
    return q.model_dump()


def _answer_row(a: Answer) -> dict[str, Any]:
    row = a.model_dump()
    row["segments"] = [s.model_dump(mode="json") for s in a.segments]
    return row


def _pending_evaluation_row(answer: Answer) -> dict[str, Any]:
    return {"answer_id": answer.id, "interview_id": answer.interview_id, "question_id": answer.question_id,
            "status": "pending", "scores": [], "feedback": "", "reason": None, "evaluator": None, "flags": [],
            "updated_at": answer.created_at}


def _evaluation_row(e: Evaluation) -> dict[str, Any]:
    row = e.model_dump()
    row["scores"] = [s.model_dump(mode="json") for s in e.scores]
    return row


def _job_row(job: JobRecord) -> dict[str, Any]:
    return job.model_dump(mode="python")
