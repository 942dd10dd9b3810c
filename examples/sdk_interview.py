"""A whole interview through the SDK: start, answer (typed), follow-ups, finish, report.

    python examples/sdk_interview.py                 # built-in question bank, no evaluator
    INTERVIEW_ENGINE_EVALUATOR=gguf INTERVIEW_ENGINE_EVALUATOR_OPTIONS='{"model": "qwen2.5-coder-1.5b"}' \
        python examples/sdk_interview.py             # scored by the demo model
"""

from __future__ import annotations

import json
from pathlib import Path

import anyio

from interview_engine import Engine

HERE = Path(__file__).parent


async def main() -> None:
    spec = json.loads((HERE / "spec.json").read_text(encoding="utf-8"))
    answers = iter(json.loads((HERE / "answers.json").read_text(encoding="utf-8")))
    async with Engine() as engine:
        session = await engine.start(spec)
        question = session.current_question
        while question is not None and (answer := next(answers, None)) is not None:
            print(f"Q ({question.kind}): {question.text}\nA: {answer}\n")
            question = await session.answer(question.id, answer)
        await session.finish()
        report = await session.report()
    score = "not scored" if report.overall_score is None else f"{report.overall_score:.0f}/100"
    print(f"Overall: {score}")
    for note in report.notes:
        print(f"Note: {note}")


if __name__ == "__main__":
    anyio.run(main)
