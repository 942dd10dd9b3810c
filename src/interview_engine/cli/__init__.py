"""The `interview-engine` command: interviews in the terminal, batch runs, reports, plugins, new plugins, worker.

Every error a user can cause ends in one line on stderr and a non-zero exit code (``failures``); every
file named on the command line is read with limits (``files``); everything printed is safe for a terminal
(``terminal``).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import math
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import anyio

from ..engine import Engine
from ..errors import InvalidAnswer
from ..models import MAX_ANSWER_CHARS, Report
from ..plugins import describe_plugins, plugin_manager_for
from ..settings import Settings, load_settings
from .answers import check_places, give_answers
from .extensions import add_extension_commands
from .failures import CommandError, log_stray_thread_errors, report_failure
from .files import MAX_FILE_BYTES, MAX_NESTING, MAX_NUMBER_DIGITS, checked_config_file, read_answers, read_spec
from .interactive import interview_command
from .new_plugin import add_parser as add_new_plugin_parser
from .render import plugins_text
from .reports import print_report, settled_report
from .terminal import VisibleFormatter, emit, json_for_terminal

RUN_FILES = f"""\
input files: UTF-8 JSON (a byte order mark is allowed), at most {MAX_FILE_BYTES // 2**20} MiB each; a pipe such
as /dev/stdin works too. Strict JSON: no NaN or Infinity, no key twice in one object, no integer longer
than {MAX_NUMBER_DIGITS} digits, at most {MAX_NESTING} levels of nesting.

--spec holds an object; only "role" is required:
  {{"role": "Backend engineer",       the job, 1-200 characters
   "level": "mid",                   junior | mid | senior
   "language": "en",                 en | ko
   "question_count": 5,              planned questions, 1-30 (follow-ups come on top)
   "custom_questions": ["Why us?"],  asked word for word, at most question_count of them
   "max_follow_ups": 1,              follow-ups per question, 0-3
   "job_description": "...",         grounds the questions, up to 20,000 characters
   "resume": "...",                  the candidate's resume, up to 50,000 characters
   "rubric": [{{"key": "depth", "name": "Technical depth", "weight": 2, "description": "..."}}],
                                     1-12 scoring dimensions (default: the built-in rubric)
   "emotion_analysis": false}}

--answers holds a list of answers, or {{"answers": [...]}}, in one of two ways:
  in the order the questions are asked: ["first answer", "second answer", ...] or {{"text": ...}} objects.
    Each question takes the next answer, so a follow-up takes the answer after its question's (a warning
    says when one did); answers left over after the last question are ignored with a warning.
  numbered: [{{"question": 1, "text": ...}}, {{"question": 1, "follow_up": 1, "text": ...}}, ...], each
    for the planned question with that number (from 1, in the order asked) or its n-th follow-up. An
    answer for a follow-up that is not asked is left over with a warning; a follow-up asked without an
    answer ends the answering there, with a warning.
  Each answer is 1-{MAX_ANSWER_CHARS:,} characters. Every answer is checked before the interview starts,
  so a bad file stores nothing; questions left without an answer show as not answered.
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _set_up_output(verbose=args.verbose)
    try:
        settings = load_settings(checked_config_file(args.config))
        code = int(args.handler(args, settings) or 0)
        emit(end="")  # a closed stdout is reported here, not by the interpreter at exit
        return code
    except BaseException as exc:
        return report_failure(exc)


def _set_up_output(*, verbose: bool) -> None:
    """Unencodable characters become escapes instead of errors; log records are made visible; exceptions
    that escape a thread are logged, not printed."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(VisibleFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    log_stray_thread_errors()


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of seconds")
    return seconds


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="interview-engine", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="TOML settings file (default: ./interview-engine.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    interview = commands.add_parser("interview", help="sit an interview in the terminal (Ctrl-D pauses it)")
    start = interview.add_mutually_exclusive_group()
    start.add_argument("--spec", type=Path, help="interview spec JSON, as for `run` (else --role/--level/...)")
    start.add_argument("--resume", metavar="ID", help="continue a paused or interrupted interview")
    interview.add_argument("--finish", action="store_true", help="with --resume: end it now and print the report")
    interview.add_argument("--role", default="Backend engineer")
    interview.add_argument("--level", default="mid", choices=["junior", "mid", "senior"])
    interview.add_argument("--language", default="en", choices=["en", "ko"])
    interview.add_argument("--questions", type=int, default=5, help="number of planned questions")
    interview.add_argument("--timeout", type=_seconds, default=600, help="seconds to wait for scores")
    interview.set_defaults(handler=interview_command)

    run = commands.add_parser("run", help="answer an interview from a file and print the report",
                              epilog=RUN_FILES, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--spec", type=Path, required=True, help="interview spec JSON (format below)")
    run.add_argument("--answers", type=Path, required=True,
                     help="JSON list of answers, in order or numbered by question (format below)")
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    run.add_argument("--timeout", type=_seconds, default=1800, help="seconds to wait for evaluations")
    run.set_defaults(handler=_run)

    report = commands.add_parser("report", help="print the report of a finished interview")
    report.add_argument("interview_id", metavar="ID")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("--timeout", type=_seconds, default=600, help="seconds to wait for evaluations")
    report.set_defaults(handler=_report)

    plugins = commands.add_parser("plugins", help="list installed plugins, versions and providers")
    plugins.add_argument("--json", action="store_true")
    plugins.set_defaults(handler=_plugins)

    add_new_plugin_parser(commands)

    worker = commands.add_parser("worker", help="run background jobs from Redis (needs jobs = 'arq')")
    worker.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    worker.set_defaults(handler=_worker)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="migrate the database to the latest schema")
    upgrade.add_argument("--revision", default="head")
    upgrade.set_defaults(handler=_db_upgrade)
    add_extension_commands(commands)
    return parser


def _plugins(args: argparse.Namespace, settings: Settings) -> int:
    infos = describe_plugins(plugin_manager_for(settings))
    emit(json_for_terminal(json.dumps([asdict(i) for i in infos], indent=2)) if args.json else plugins_text(infos))
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    spec = read_spec(args.spec)
    answers = read_answers(args.answers, most=spec.question_count * (1 + spec.max_follow_ups))
    try:
        check_places(answers, spec)
    except InvalidAnswer as exc:
        raise InvalidAnswer(f"answers file {str(args.answers)!r}: {exc}") from exc

    async def go() -> Report:
        async with Engine(settings) as engine:
            session = await engine.start(spec)
            await give_answers(session, answers)
            await session.finish()
            return await settled_report(session, args.timeout)

    print_report(anyio.run(go), as_json=args.json)
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    async def go() -> Report:
        async with Engine(settings) as engine:
            session = await engine.resume(args.interview_id)
            if not session.finished:
                raise CommandError(
                    f"interview {session.id} is {session.state.replace('_', ' ')}; continue it with: "
                    f"interview-engine interview --resume {session.id} (add --finish to end it now)"
                )
            return await settled_report(session, args.timeout)

    print_report(anyio.run(go), as_json=args.json)
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from ..jobs.arq import build_worker

    if settings.jobs != "arq":
        raise CommandError("the worker runs arq jobs: set INTERVIEW_ENGINE_JOBS=arq (and REDIS_URL)")

    async def go() -> None:
        async with Engine(settings, run_jobs=False) as engine:
            worker = build_worker(engine, settings, burst=args.burst)
            try:
                await worker.async_run()
            finally:
                await worker.close()

    asyncio.run(go())
    return 0


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from alembic.util import CommandError as AlembicError

    from ..store.sql import SQLStore

    async def go() -> None:
        store = SQLStore(settings.database_url, auto_migrate=False)
        await store.open()
        try:
            await store.migrate(args.revision)
        finally:
            await store.aclose()

    try:
        anyio.run(go)
    except AlembicError as exc:
        raise CommandError(f"cannot migrate to revision {args.revision!r}: {exc}") from exc
    emit(f"database at {settings.database_url} is at revision {args.revision}")
    return 0
