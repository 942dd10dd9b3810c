"""`interview-engine run`: which answer of the file goes to which question. In order, a follow-up takes the
next answer and the command says so; numbered answers stay with their question, and what does not fit is
named in a warning; a badly numbered file stores nothing."""

from __future__ import annotations

import json
import logging
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from interview_engine import hookimpl
from interview_engine.cli import main
from interview_engine.testing import FakeQuestionSource

SPEC = {"role": "Backend engineer", "question_count": 2, "max_follow_ups": 1,
        "custom_questions": ["What did you build last?", "Why this team?"]}
FOLLOW_UP = "Can you give an example?"
BUILT, EXAMPLE, WHY = ("I built a billing service on PostgreSQL.", "The invoice export went from hours to minutes.",
                       "This team ships carefully, with real users in mind.")


def _source(follow_up: bool) -> FakeQuestionSource:
    source = FakeQuestionSource()
    if follow_up:
        source.enqueue_follow_up(FOLLOW_UP)  # after the first answer; None after every other
    return source


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``main`` runs in tmp_path on its own SQLite file, with a question source that follows up on the first
    answer when its ``follow_up`` option says so."""
    for name in [n for n in os.environ if n.startswith("INTERVIEW_ENGINE_")]:
        monkeypatch.delenv(name)
    module = types.ModuleType("follow_up_once_plugin")
    module.register_question_sources = hookimpl(  # type: ignore[attr-defined]
        lambda register: register("follows_up", _source))
    monkeypatch.setitem(sys.modules, module.__name__, module)
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}", "PLUGINS": "",
           "PLUGIN_MODULES": module.__name__, "QUESTION_SOURCE": "follows_up"}
    for name, value in env.items():
        monkeypatch.setenv(f"INTERVIEW_ENGINE_{name}", value)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(here: Path, capsys: pytest.CaptureFixture[str], answers: Any, *, follow_up: bool = True) -> Any:
    (here / "spec.json").write_text(json.dumps(SPEC))
    (here / "answers.json").write_text(json.dumps(answers))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INTERVIEW_ENGINE_QUESTION_SOURCE_OPTIONS", json.dumps({"follow_up": follow_up}))
        code = main(["run", "--spec", "spec.json", "--answers", "answers.json", "--json"])
    out, err = capsys.readouterr()
    return code, out, err


def answered(out: str) -> list[tuple[str, str | None]]:
    return [(q["question"]["text"], (q["answer"] or {}).get("text")) for q in json.loads(out)["questions"]]


def test_in_order_a_follow_up_takes_the_next_answer_and_the_run_says_so(
    here: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        code, out, _ = run(here, capsys, [BUILT, EXAMPLE, WHY])
    assert code == 0
    assert answered(out) == [("What did you build last?", BUILT), (FOLLOW_UP, EXAMPLE), ("Why this team?", WHY)]
    assert "1 follow-up question took the next answer in the file; number the answers" in caplog.text


def test_numbered_answers_stay_with_their_question(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(here, capsys, [{"question": 2, "text": WHY}, {"question": 1, "text": BUILT},
                                      {"question": 1, "follow_up": 1, "text": EXAMPLE}])
    assert code == 0
    assert answered(out) == [("What did you build last?", BUILT), (FOLLOW_UP, EXAMPLE), ("Why this team?", WHY)]


def test_an_answer_for_a_follow_up_not_asked_is_named(
    here: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        code, out, _ = run(here, capsys, [{"question": 1, "text": BUILT}, {"question": 2, "text": WHY},
                                          {"question": 1, "follow_up": 1, "text": EXAMPLE}], follow_up=False)
    assert code == 0
    assert answered(out) == [("What did you build last?", BUILT), ("Why this team?", WHY)]
    assert "1 answers were for questions not asked: question 1 follow-up 1" in caplog.text


def test_a_follow_up_without_an_answer_ends_the_answering_with_a_warning(
    here: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        code, out, _ = run(here, capsys, [{"question": 1, "text": BUILT}, {"question": 2, "text": WHY}])
    assert code == 0
    assert answered(out) == [("What did you build last?", BUILT), (FOLLOW_UP, None), ("Why this team?", None)]
    assert "question 1 follow-up 1 has no answer in the file; the interview ends there" in caplog.text
    assert "1 answers were for questions not asked: question 2" in caplog.text


@pytest.mark.parametrize(("answers", "problem"), [
    ([{"question": 1, "text": BUILT}, WHY], "give every answer a question number, or none"),
    ([{"question": 3, "text": BUILT}], "question 3 is not in this interview (2 questions, 1 follow-ups each)"),
    ([{"question": 1, "follow_up": 2, "text": BUILT}], "question 1 follow-up 2 is not in this interview"),
    ([{"question": 1, "text": BUILT}, {"question": 1, "text": WHY}], "question 1 has two answers"),
    ([{"question": 0, "text": BUILT}], "question must be the number of a planned question, from 1"),
    ([{"question": True, "text": BUILT}], "question must be the number of a planned question, from 1"),
    ([{"follow_up": 1, "text": BUILT}], "follow_up must be 0 or more, and goes with a question number"),
    ([{"questoin": 1, "text": BUILT}], "answer 1 in 'answers.json': unknown key 'questoin'"),
], ids=["mixed", "no-such-question", "too-many-follow-ups", "twice", "zero", "bool", "follow-up-alone", "typo"])
def test_badly_numbered_answers_store_nothing(here: Path, capsys: pytest.CaptureFixture[str], answers: Any,
                                              problem: str) -> None:
    code, out, err = run(here, capsys, answers)
    assert code == 1 and out == "" and problem in err and len(err.strip().splitlines()) == 1, err
    assert not (here / "run.db").exists()  # the file is checked before the engine opens the database
