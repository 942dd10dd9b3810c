"""The `interview-engine` command: interviews in the terminal, batch runs, plugins, worker, migrations.

Every error a user can cause ends in one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import anyio

from ..engine import Engine
from ..errors import InterviewEngineError
from ..models import Report
from ..plugins import describe_plugins, plugin_manager_for
from ..session import Session
from ..settings import Settings, load_settings
from .extensions import add_extension_commands
from .files import read_answers, read_spec
from .render import plugins_text, report_text

log = logging.getLogger(__name__)

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(args.config)
        return int(args.handler(args, settings) or 0)
    except InterviewEngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="interview-engine", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="TOML settings file (default: ./interview-engine.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    interview = commands.add_parser("interview", help="sit an interview in the terminal")
    interview.add_argument("--spec", type=Path, help="interview spec JSON (else --role/--level/...)")
    interview.add_argument("--role", default="Backend engineer")
    interview.add_argument("--level", default="mid", choices=["junior", "mid", "senior"])
    interview.add_argument("--language", default="en", choices=["en", "ko"])
    interview.add_argument("--questions", type=int, default=5, help="number of planned questions")
    interview.set_defaults(handler=_interview)

    run = commands.add_parser("run", help="answer an interview from a file and print the report")
    run.add_argument("--spec", type=Path, required=True, help="interview spec JSON")
    run.add_argument("--answers", type=Path, required=True, help="JSON list of answers, in order")
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    run.add_argument("--timeout", type=float, default=1800, help="seconds to wait for evaluations")
    run.set_defaults(handler=_run)

    plugins = commands.add_parser("plugins", help="list installed plugins, versions and providers")
    plugins.add_argument("--json", action="store_true")
    plugins.set_defaults(handler=_plugins)

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
    print(json.dumps([asdict(i) for i in infos], indent=2) if args.json else plugins_text(infos))
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    spec = read_spec(args.spec)
    answers = read_answers(args.answers)

    async def go() -> Report:
        async with Engine(settings) as engine:
            session = await engine.start(spec)
            unused = await _answer_in_order(session, answers)
            if unused:
                log.warning("%d answers were left over after the last question", unused)
            await session.finish()
            return await session.report(timeout=args.timeout)

    report = anyio.run(go)
    print(report.model_dump_json(indent=2) if args.json else report_text(report))
    return 0


async def _answer_in_order(session: Session, answers: list[str]) -> int:
    """Answer each question (follow-ups included) with the next answer; returns how many were left."""
    remaining = list(answers)
    question = session.current_question
    while question is not None and remaining:
        question = await session.answer(question.id, remaining.pop(0))
    return len(remaining)


def _interview(args: argparse.Namespace, settings: Settings) -> int:
    spec = read_spec(args.spec) if args.spec else {
        "role": args.role, "level": args.level, "language": args.language, "question_count": args.questions,
    }

    async def go() -> Report:
        async with Engine(settings) as engine:
            session = await engine.start(spec)
            print(f"Interview {session.id} — answer each question; finish an answer with an empty line.\n"
                  "Ctrl-D ends the interview early.\n")
            question = session.current_question
            while question is not None:
                text = await anyio.to_thread.run_sync(_read_answer, question.text)
                if text is None:
                    break
                if not text.strip():
                    print("(an empty answer is not recorded; type an answer, or Ctrl-D to finish)")
                    continue
                question = await session.answer(question.id, text)
            await session.finish()
            print("\nScoring answers…")
            return await session.report()

    print(report_text(anyio.run(go)))
    return 0


def _read_answer(question: str) -> str | None:
    print(f"\n{question}")
    lines: list[str] = []
    while True:
        try:
            line = input("> ")
        except EOFError:
            return "\n".join(lines) if lines else None
        if not line and lines:
            return "\n".join(lines)
        if line:
            lines.append(line)
        elif not lines:
            return ""


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from ..jobs.arq import build_worker

    if settings.jobs != "arq":
        raise InterviewEngineError("the worker runs arq jobs: set INTERVIEW_ENGINE_JOBS=arq (and REDIS_URL)")

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
    from ..store.sql import SQLStore

    async def go() -> None:
        store = SQLStore(settings.database_url, auto_migrate=False)
        await store.open()
        try:
            await store.migrate(args.revision)
        finally:
            await store.aclose()

    anyio.run(go)
    print(f"database at {settings.database_url} is at revision {args.revision}")
    return 0
