"""How many SQL statements the candidate's hot actions run, counted with a SQLAlchemy event listener on
both engines (the SDK's store and the server's tables), on SQLite and Postgres. A count is deterministic
where time is not: a change that adds statements to these paths fails here and must change the numbers
on purpose. An answer's count includes its evaluation job (in-process, drained before counting stops)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from .conftest import Server, running_server

DRAFT_STATEMENTS = 4
"""Authenticate (the interview's server record), load the session (the interview; its questions with their
answers), upsert the draft."""
ANSWER_STATEMENTS = 26
"""Authenticate 1, load the session 2; the store records the answer in one transaction (lock and read the
interview, its questions' slots, insert the answer, its pending evaluation and its job: 5); events
answer.recorded and question.asked (2 each); the timing, the cleared draft and the next question's clock (3,
one transaction). The evaluation job: read and start the job (2), read the evaluation (1), load the interview
with its questions and answers (2), settle (1), both evaluation.updated events (3, one transaction), finalize
reads the interview (1), finish the job (1)."""

BACKGROUND = ("server_webhook_deliveries",)
"""The webhook runner polls on its own schedule; its statements are not the request's."""


@pytest.fixture(params=["sqlite", "postgres"])
def counted(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Server, list[str]]]:
    """A server and the statements its engines run from now on (the list may be cleared)."""
    database: Path | str = request.getfixturevalue("postgres_url") if request.param == "postgres" \
        else tmp_path / "server.db"
    with running_server(database, engine_overrides={"job_sweep_interval_s": 3600}) as server:
        statements: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if not any(table in statement for table in BACKGROUND):
                statements.append(statement)

        engines = {server.services.db.sync_engine, server.services.engine.store.engine.sync_engine}  # type: ignore[attr-defined]
        for engine in engines:
            sa.event.listen(engine, "before_cursor_execute", record)
        yield server, statements
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", record)


def _count(server: Server, statements: list[str], action: Callable[[], httpx.Response]) -> int:
    statements.clear()
    response = action()
    assert response.status_code < 300, response.text
    server.call(server.services.engine.jobs.drain, 10)
    return len(statements)


def test_statements_per_draft_and_answer(counted: tuple[Server, list[str]]) -> None:
    server, statements = counted
    created = server.start_interview()
    headers = server.consented(created)
    base = f"/v1/interviews/{created['interview_id']}/candidate"
    question = server.client.get(f"{base}/question", headers=headers).json()
    draft = {"question_id": question["id"], "text": "I would"}
    assert _count(server, statements, lambda: server.client.put(f"{base}/draft", json=draft,
                                                                headers=headers)) == DRAFT_STATEMENTS
    assert _count(server, statements, lambda: server.client.put(f"{base}/draft", json=draft,
                                                                headers=headers)) == DRAFT_STATEMENTS
    answer = {"question_id": question["id"], "text": "I would measure first."}
    assert _count(server, statements, lambda: server.client.post(f"{base}/answers", json=answer,
                                                                 headers=headers)) == ANSWER_STATEMENTS
