"""``interview-engine interview``: sit an interview in the terminal; pause it with Ctrl-D, resume it, end it early.

Ctrl-D pauses the interview in the store (``Session.pause``): no session anywhere can answer it until
``--resume`` unpauses it.

A rejected answer (empty, too long, not UTF-8) is explained in one line and the question is asked again;
nothing about the interview changes. However the command stops, it says what became of the interview
and how to go on.
"""

from __future__ import annotations

import argparse
import functools
import os
from dataclasses import dataclass

import anyio

from ..engine import Engine
from ..errors import InvalidAnswer
from ..models import InterviewSpec, Report
from ..session import Session, check_answer_text, parse_spec
from ..settings import Settings
from .failures import CommandError
from .files import read_spec
from .prompt import AnswerPrompt, in_daemon_thread
from .reports import print_report, settled_report
from .terminal import emit, visible

STDIN = 0


@dataclass
class _Progress:
    """What to tell the user if the command stops now."""

    note: str | None = None


def interview_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.finish and not args.resume:
        raise CommandError("--finish ends a paused interview: name it with --resume ID")
    spec = None if args.resume else _spec(args)
    progress = _Progress()

    async def go() -> Report | None:
        async with Engine(settings) as engine:
            session = await engine.resume(args.resume) if spec is None else await engine.start(spec)
            progress.note = (f"interview {session.id} is still in progress; continue it with: "
                             f"interview-engine interview --resume {session.id}")
            if not session.finished and not args.finish:
                if session.state == "paused":
                    await session.unpause()
                _greet(session, resumed=spec is None)
                prompt = AnswerPrompt(functools.partial(os.read, STDIN), lambda: emit("> ", end=""))
                if not await ask_remaining(session, prompt):
                    await session.pause()
                    _say_paused(session)
                    return None
            if not session.finished:
                await session.finish()
            progress.note = (f"interview {session.id} is finished; see its report with: "
                             f"interview-engine report {session.id}")
            emit("\nScoring answers…")
            return await settled_report(session, args.timeout)

    try:
        report = anyio.run(go)
    except BaseException as exc:
        if progress.note:
            exc.add_note(progress.note)
        raise
    if report is not None:
        print_report(report, as_json=False)
    return 0


async def ask_remaining(session: Session, prompt: AnswerPrompt) -> bool:
    """Ask every unanswered question, again after a rejected answer; False if input ends first."""
    question = session.current_question
    while question is not None:
        emit(f"\n{visible(question.text)}")
        try:
            raw = await in_daemon_thread(prompt.read_answer)
            if raw is None:
                return False
            question = await session.answer(question.id, check_answer_text(raw))
        except InvalidAnswer as exc:
            emit(f"(not recorded: {visible(str(exc))}; answer again, or Ctrl-D to pause)")
    return True


def _spec(args: argparse.Namespace) -> InterviewSpec:
    if args.spec:
        return read_spec(args.spec)
    return parse_spec({"role": args.role, "level": args.level, "language": args.language,
                       "question_count": args.questions})


def _greet(session: Session, *, resumed: bool) -> None:
    how = "End each answer with an empty line; Ctrl-D pauses the interview, to resume later."
    if resumed:
        emit(f"Resuming interview {session.id}: {len(session.answers)} of {len(session.questions)} questions "
             f"answered so far. {how}")
    else:
        emit(f"Interview {session.id}. {how}")


def _say_paused(session: Session) -> None:
    emit(f"\nInterview {session.id} is paused with {len(session.answers)} of {len(session.questions)} questions "
         f"answered; nothing is lost.\n"
         f"Continue it with:   interview-engine interview --resume {session.id}\n"
         f"or end it now with: interview-engine interview --resume {session.id} --finish")
