"""The order of events in one interview, as pure rules over its questions' places.

A Store applies them inside the transaction that holds the interview, so concurrent sessions and processes
see one order; a Session applies the same rules to its own view first, to answer without a round trip
when that view is current. Questions are asked in (ordinal, depth) order, each answered at most once; a
follow-up sits under its answered parent and never behind an answer to a later question, and only while
its decision is on time. Planned questions may arrive after the interview started (the plan is generated
in the background), each in the next free place, so the places of planned questions never have a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .errors import AnswerAlreadyRecorded, IllegalTransition, WrongQuestion
from .models import InterviewState, Question


@dataclass(frozen=True)
class Slot:
    """A question's place in its interview and whether it has an answer."""

    id: str
    ordinal: int
    depth: int
    answered: bool

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.ordinal, self.depth)


def current(slots: Sequence[Slot]) -> Slot | None:
    """The question awaiting an answer: the first in interview order without one."""
    return min((s for s in slots if not s.answered), key=lambda s: s.sort_key, default=None)


def check_answer(state: InterviewState, slots: Sequence[Slot], question_id: str) -> None:
    """Raise the typed error that forbids answering ``question_id`` now, if any."""
    if state == "finished":
        raise IllegalTransition("the interview is finished; no more answers are accepted")
    if state == "paused":
        raise IllegalTransition("the interview is paused; unpause it to answer")
    slot = next((s for s in slots if s.id == question_id), None)
    if slot is not None and slot.answered:
        raise AnswerAlreadyRecorded(f"question {question_id} already has an answer")
    now = current(slots)
    if now is None:
        raise IllegalTransition("every question is answered; call finish()")
    if question_id != now.id:
        what = "is not the current question" if slot else "is not a question of this interview"
        raise WrongQuestion(f"question {question_id} {what} (current: {now.id})")


def check_added(
    state: InterviewState, question_count: int, max_follow_ups: int, slots: Sequence[Slot], question: Question,
    *, now: datetime, not_after: datetime | None = None,
) -> None:
    """Raise IllegalTransition if ``question`` may not be added to a started interview now: a follow-up by
    ``check_follow_up`` (and not after ``not_after``, the end of its decision's time budget), a planned
    question by ``check_planned``."""
    if question.kind == "follow_up":
        if not_after is not None and now > not_after:
            raise IllegalTransition("the follow-up came after its time budget; the interview moved on")
        check_follow_up(state, max_follow_ups, slots, question)
    else:
        check_planned(state, question_count, slots, question)


def check_planned(state: InterviewState, question_count: int, slots: Sequence[Slot], question: Question) -> None:
    """Raise IllegalTransition if planned ``question`` may not be added now: it takes the next free place of
    the spec's ``question_count`` planned questions, while the interview is not finished."""
    if state == "finished":
        raise IllegalTransition("the interview is finished; no question is added")
    if question.depth != 0 or question.parent_id is not None:
        raise IllegalTransition("a planned question is not a follow-up: depth 0, no parent")
    following = 1 + max((s.ordinal for s in slots), default=-1)
    if question.ordinal != following:
        where = f"place {question.ordinal} is taken" if question.ordinal < following else \
            f"planned question {question.ordinal} would leave a gap"
        raise IllegalTransition(f"{where}; only follow-ups and the next planned question ({following}) are added")
    if question.ordinal >= question_count:
        raise IllegalTransition(f"the interview plans {question_count} questions; the plan is complete")


def check_follow_up(state: InterviewState, max_follow_ups: int, slots: Sequence[Slot], question: Question) -> None:
    """Raise IllegalTransition if ``question`` may not be added as a follow-up now."""
    if state == "finished":
        raise IllegalTransition("the interview is finished; no follow-up is added")
    if question.kind != "follow_up" or question.parent_id is None:
        raise IllegalTransition("a follow-up has a parent question")
    parent = next((s for s in slots if s.id == question.parent_id), None)
    if parent is None:
        raise IllegalTransition(f"question {question.parent_id} is not a question of this interview")
    if not parent.answered:
        raise IllegalTransition(f"question {parent.id} is not answered yet; its follow-up must wait")
    if question.ordinal != parent.ordinal or question.depth <= parent.depth:
        raise IllegalTransition("a follow-up sits under its parent: same ordinal, greater depth")
    if any(s.sort_key == question.sort_key for s in slots):
        raise IllegalTransition(f"place {question.sort_key} is taken by another question")
    if any(s.answered and s.sort_key > question.sort_key for s in slots):
        raise IllegalTransition("a later question is already answered; the follow-up would come out of order")
    if sum(1 for s in slots if s.ordinal == question.ordinal and s.depth > 0) >= max_follow_ups:
        raise IllegalTransition(f"question {question.ordinal} already has its {max_follow_ups} follow-ups")
