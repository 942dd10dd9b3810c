"""How `interview-engine run` gives the answers of a file to the questions of an interview.

An answers file either lists answers in the order the questions are asked, follow-ups included (each
question takes the next answer, so a follow-up takes the answer after its question's), or gives each
answer the number of the planned question it is for, and for a follow-up its number under that question:
``{"question": 2, "follow_up": 1, "text": "..."}``. Numbered answers stay with their question whatever the
question source decides: an answer for a follow-up that is not asked is left over, and a follow-up asked
without an answer in the file ends the answering there (the rest shows as not answered). Either way the
command warns about what did not fit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..errors import InvalidAnswer
from ..models import InterviewSpec, Question
from ..session import Session, check_answer_text

log = logging.getLogger(__name__)

KEYS = ("text", "question", "follow_up")


@dataclass(frozen=True)
class FileAnswer:
    """One answer from an answers file, with the question it is for when the file says."""

    text: str
    question: int | None = None
    """The planned question's number, from 1 in the order they are asked; None: the next question."""
    follow_up: int = 0
    """0 for the planned question itself, n for its n-th follow-up."""

    @property
    def place(self) -> str:
        return f"question {self.question}" + (f" follow-up {self.follow_up}" if self.follow_up else "")


def file_answer(item: object) -> FileAnswer:
    """An answer as the file holds it: a string, or an object with ``text`` and maybe ``question`` and
    ``follow_up``. InvalidAnswer says what is wrong with it."""
    if not isinstance(item, dict):
        return FileAnswer(check_answer_text(item))
    unknown = sorted(set(item) - set(KEYS))
    if unknown:
        raise InvalidAnswer(f"unknown key {unknown[0][:40]!r} (an answer has {', '.join(KEYS)})")
    question, follow_up = item.get("question"), item.get("follow_up", 0)
    if question is not None and not _positive(question):
        raise InvalidAnswer("question must be the number of a planned question, from 1")
    if not (_positive(follow_up) or follow_up == 0) or (follow_up and question is None):
        raise InvalidAnswer("follow_up must be 0 or more, and goes with a question number")
    return FileAnswer(check_answer_text(item.get("text")), question, follow_up)


def check_places(answers: list[FileAnswer], spec: InterviewSpec) -> None:
    """Numbered answers: every answer numbered, each place within the spec, no place twice."""
    numbered = [a for a in answers if a.question is not None]
    if not numbered:
        return
    if len(numbered) != len(answers):
        raise InvalidAnswer("give every answer a question number, or none")
    seen: set[tuple[int | None, int]] = set()
    for answer in numbered:
        assert answer.question is not None
        if answer.question > spec.question_count or answer.follow_up > spec.max_follow_ups:
            raise InvalidAnswer(f"{answer.place} is not in this interview ({spec.question_count} questions, "
                                f"{spec.max_follow_ups} follow-ups each)")
        if (answer.question, answer.follow_up) in seen:
            raise InvalidAnswer(f"{answer.place} has two answers")
        seen.add((answer.question, answer.follow_up))


async def give_answers(session: Session, answers: list[FileAnswer]) -> None:
    """Answer the session's questions from ``answers`` and warn about what did not fit."""
    if answers and answers[0].question is not None:
        await _by_place(session, answers)
    else:
        await _in_order(session, answers)


async def _in_order(session: Session, answers: list[FileAnswer]) -> None:
    remaining = list(answers)
    follow_ups = 0
    question = session.current_question
    while question is not None and remaining:
        follow_ups += question.depth > 0
        question = await session.answer(question.id, remaining.pop(0).text)
    if follow_ups:
        log.warning("%d follow-up question%s took the next answer in the file; number the answers "
                    '({"question": 2, "follow_up": 1, "text": ...}) to keep each with its question',
                    follow_ups, "s" if follow_ups > 1 else "")
    if remaining:
        log.warning("%d answers were left over after the last question", len(remaining))


async def _by_place(session: Session, answers: list[FileAnswer]) -> None:
    by_place = {(a.question, a.follow_up): a for a in answers}
    question = session.current_question
    while question is not None:
        answer = by_place.pop(_place(question), None)
        if answer is None:
            log.warning('%s has no answer in the file; the interview ends there (add {"question": %d, '
                        '"follow_up": %d, "text": ...}, or set max_follow_ups to 0)',
                        FileAnswer("-", *_place(question)).place, *_place(question))
            break
        question = await session.answer(question.id, answer.text)
    if by_place:
        log.warning("%d answers were for questions not asked: %s", len(by_place),
                    ", ".join(a.place for a in by_place.values()))


def _place(question: Question) -> tuple[int, int]:
    return question.ordinal + 1, question.depth


def _positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
