"""A simulated candidate sits a whole interview through the public SDK, on the embedded configuration
with the demo model for both roles (Qwen2.5-Coder-1.5B Q4_K_M). Not a test.

Measures what the candidate and the recruiter wait for: model load (engine open and warm-up), start to
first question, answer to next question (p50/p95/max), follow-ups asked and skipped for their budget,
evaluation time while the candidate keeps answering (answer stored to evaluation settled, p50/p95),
last answer to report ready, and the process's peak memory. Answers come from a file, one per question
in turn (a follow-up takes the next one), after ``--think-s`` seconds each (the issue's candidate thinks
for 60 s; the default is short for a run here).

    .venv/bin/python bench/interview_latency.py [--answers examples/answers.json] [--think-s 5]
        [--model qwen2.5-coder-1.5b] [--label branch] [--baseline bench/results/interview_latency-main.json]

Prints a table (beside the baseline's figures when given: run it on the code before the change, e.g. a
``git worktree`` of main, with ``--label main``) and writes bench/results/interview_latency[-LABEL].json.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from evaluator_quality import print_table, write_results

from interview_engine import Engine, hookimpl, load_settings

SPEC = {
    "role": "data engineer", "level": "senior", "language": "en", "question_count": 5, "max_follow_ups": 1,
    "job_description": "Build batch and streaming pipelines on PostgreSQL, Kafka and Spark; own data quality.",
}
TARGETS = {"first_question_s": 1.5, "next_question_p95_s": 2.0, "next_question_max_s": 2.5,
           "report_after_last_answer_s": 60.0, "peak_rss_mb": 2048.0}


class Recorder:
    """Lifecycle hooks noting when each evaluation settled."""

    def __init__(self) -> None:
        self.evaluated: dict[str, float] = {}

    @hookimpl
    def after_answer_evaluated(self, interview: Any, answer: Any, evaluation: Any) -> None:
        self.evaluated[answer.id] = time.monotonic()


class SkippedFollowUps(logging.Handler):
    """Counts the session's "follow-up decision ran past its budget" records."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "budget" in record.getMessage() and "follow-up" in record.getMessage():
            self.count += 1


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(args: argparse.Namespace, answers: list[str]) -> dict[str, Any]:
    options = {"model": args.model}
    skipped = SkippedFollowUps()
    logging.getLogger("interview_engine").addHandler(skipped)
    logging.getLogger("interview_engine").setLevel(logging.INFO)
    recorder = Recorder()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.db", plugins=None,
                                 question_source="gguf", evaluator="gguf", question_source_options=options,
                                 evaluator_options=options, transcriber=None, emotion_analyzer=None)
        t0 = time.monotonic()
        async with Engine(settings) as engine:
            engine.plugins.register(recorder, name="bench-recorder")
            for provider in (engine.context.question_source, engine.context.evaluator):
                await provider.backend.load()  # type: ignore[union-attr]
            load_s = time.monotonic() - t0
            t = time.monotonic()
            session = await engine.start(SPEC)
            first_s = time.monotonic() - t
            waits: list[float] = []
            answered_at: dict[str, float] = {}
            follow_ups = 0
            question = session.current_question
            for text in answers:
                if question is None:
                    break
                await anyio.sleep(args.think_s)
                t = time.monotonic()
                question = await session.answer(question.id, text)
                waits.append(time.monotonic() - t)
                answered_at[session.answers[-1].id] = t
                follow_ups += question is not None and question.kind == "follow_up"
            last_answer = time.monotonic()
            await session.finish()
            try:  # a report not ready in time is a result too: the figures so far are written
                report = await session.report(timeout=args.report_timeout_s)
                report_s: float | None = time.monotonic() - last_answer
            except TimeoutError:
                report, report_s = None, None
            evaluations = [recorder.evaluated[a] - answered_at[a] for a in answered_at if a in recorder.evaluated]
    return {
        "label": args.label, "think_s": args.think_s, "model": args.model, "answers": len(waits),
        "model_load_s": load_s, "first_question_s": first_s,
        "next_question_p50_s": statistics.median(waits) if waits else None,
        "next_question_p95_s": _quantile(waits, 0.95), "next_question_max_s": max(waits, default=None),
        "follow_ups_asked": follow_ups, "follow_ups_skipped_for_budget": skipped.count,
        "evaluation_p50_s": _quantile(evaluations, 0.5), "evaluation_p95_s": _quantile(evaluations, 0.95),
        "evaluations_settled": len(evaluations), "report_after_last_answer_s": report_s,
        "overall_score": report.overall_score if report else None,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "questions": [(q.kind, q.text) for q in session.questions], "notes": report.notes if report else None,
    }


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", default="examples/answers.json")
    parser.add_argument("--think-s", type=float, default=5.0)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--label", default="")
    parser.add_argument("--baseline", help="a JSON this bench wrote before the change, shown beside this run")
    parser.add_argument("--report-timeout-s", type=float, default=1800.0,
                        help="give up waiting for the report after this long (it is then reported as not ready)")
    args = parser.parse_args()
    result = anyio.run(run, args, json.loads(Path(args.answers).read_text(encoding="utf-8")))
    baseline = json.loads(Path(args.baseline).read_text(encoding="utf-8")) if args.baseline else {}
    keys = [k for k, v in result.items() if isinstance(v, int | float) and k != "think_s"]
    rows = [(k, f"{_fmt(result[k]):>10}  {_fmt(baseline.get(k)):>10}  {_fmt(TARGETS.get(k)):>8}") for k in keys]
    print_table(f"interview latency ({args.label or 'this run'} | baseline | target)", rows)
    result["baseline"] = baseline or None
    path = write_results("interview_latency" + (f"-{args.label}" if args.label else ""), result)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
