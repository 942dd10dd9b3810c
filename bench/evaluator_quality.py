"""How well the gguf evaluator ranks graded answers. Not a test.

Scores every item of bench/data/evaluator_items.json (Korean and English answers graded strong,
medium, weak or off_topic_or_empty, some of them prompt injections) through LLMEvaluator and the
engine's own grounding (``ground_scores``, as a session records it), then prints:

- pairwise ranking accuracy: of all pairs of items with different grades (and of the pairs that
  answer the same question, and of the pairs within each language), the share where the stronger
  graded answer scores strictly higher;
- the mean weighted score per grade and of the injection items, which must stay with the weak ones.

Each result keeps what the evaluator judged (relevance, key points covered, verdict, ratings, quotes:
``LLMEvaluator.judge``), so the step from judgements to scores (``interview_engine.llm.judgement``) can
be studied without running the model again.

``--items dev`` scores bench/data/evaluator_dev_items.json instead: other questions, graded the same
way, to try changes on without tuning them to the graded set.

    .venv/bin/python bench/evaluator_quality.py [--model qwen2.5-coder-1.5b] [--items graded|dev] [--limit N]
        [--match en-db,ko]

Writes bench/results/evaluator_quality.json (evaluator_quality-dev.json for the dev items).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import asdict
from itertools import combinations
from pathlib import Path
from typing import Any

import anyio
from interview_engine_gguf.plugin import gguf_evaluator

from interview_engine.errors import EvaluationFailed
from interview_engine.grounding import ground_scores
from interview_engine.models import Answer, EvaluationRequest, InterviewSpec, Question

ITEMS = {"graded": Path(__file__).parent / "data" / "evaluator_items.json",
         "dev": Path(__file__).parent / "data" / "evaluator_dev_items.json"}
RESULTS = Path(__file__).parent / "results"
GRADES = {"strong": 3, "medium": 2, "weak": 1, "off_topic_or_empty": 0}
TARGET_ACCURACY = 0.85


def load_items(limit: int | None = None, match: str | None = None, kind: str = "graded") -> list[dict[str, Any]]:
    """Bench items, optionally only those whose id contains one of the comma-separated ``match`` parts."""
    items = json.loads(ITEMS[kind].read_text(encoding="utf-8"))["items"]
    if match:
        items = [i for i in items if any(part in i["id"] for part in match.split(","))]
    return items[:limit] if limit else items


def request_for(item: dict[str, Any]) -> EvaluationRequest:
    """The evaluation request a session would make for one bench item."""
    spec = InterviewSpec(role=item["role"], level=item["level"], language=item["language"])
    question = Question(interview_id="bench", ordinal=0, kind="generated", text=item["question"])
    answer = Answer(interview_id="bench", question_id=question.id, text=item["answer"])
    return EvaluationRequest(spec=spec, question=question, answer=answer)


def weighted(scores: dict[str, int], spec: InterviewSpec) -> float:
    total = sum(d.weight for d in spec.rubric)
    return sum(scores[d.key] * d.weight for d in spec.rubric) / total


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}\n" + "-" * (width + 24))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def pairwise_accuracy(
    results: list[dict[str, Any]], *, same_question: bool = False, language: str | None = None
) -> tuple[float, int]:
    """Share of differently graded pairs (answering the same question, or both in ``language``, if
    asked) where the stronger answer scores strictly higher."""
    wins = pairs = 0
    for a, b in combinations(results, 2):
        if a["grade"] == b["grade"] or (same_question and a["question"] != b["question"]):
            continue
        if language is not None and not a["language"] == b["language"] == language:
            continue
        strong, weak = (a, b) if GRADES[a["grade"]] > GRADES[b["grade"]] else (b, a)
        pairs += 1
        wins += strong["score"] > weak["score"]
    return (wins / pairs if pairs else 0.0), pairs


async def evaluate_all(model: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    evaluator = gguf_evaluator(model=model)
    await evaluator.backend.load()
    results = []
    try:
        for item in items:
            request = request_for(item)
            started = time.perf_counter()
            try:
                raw_card, judgement = await evaluator.judge(request)
                card = evaluator.score_card(request, raw_card, judgement)
                judged = {"verdict": raw_card.verdict, **asdict(judgement),
                          "evidence": {s.dimension: s.evidence for s in card.scores}}
                grounded = ground_scores(card, request.spec, request.answer.text)
                scores = {s.dimension: s.score for s in grounded.scores}
                raw = {s.dimension: s.score for s in card.scores}
                score, raw_score, error = weighted(scores, request.spec), weighted(raw, request.spec), None
            except EvaluationFailed as exc:
                score, raw_score, scores, judged, error = 0.0, None, {}, None, str(exc)
            seconds = time.perf_counter() - started
            results.append({"id": item["id"], "language": item["language"], "grade": item["grade"],
                            "injection": bool(item.get("injection")), "question": item["question"],
                            "score": round(score, 1), "raw_score": raw_score and round(raw_score, 1),
                            "scores": scores, "judgement": judged, "error": error, "seconds": round(seconds, 1)})
            print(f"{item['id']:<12} {item['grade']:<19} {score:5.1f}  raw {raw_score or 0:5.1f}  {seconds:5.1f}s"
                  + (f"  FAILED {error}" if error else ""), flush=True)
    finally:
        await evaluator.aclose()
    return results


def summarize(model: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    accuracy, pairs = pairwise_accuracy(results)
    within, within_pairs = pairwise_accuracy(results, same_question=True)
    by_language = {lang: pairwise_accuracy(results, language=lang) for lang in sorted({r["language"] for r in results})}
    by_grade = {g: statistics.fmean(r["score"] for r in results if r["grade"] == g and not r["injection"])
                for g in GRADES if any(r["grade"] == g and not r["injection"] for r in results)}
    injections = [r["score"] for r in results if r["injection"]]
    return {
        "model": model, "items": len(results), "failed": sum(1 for r in results if r["error"]),
        "pairwise_accuracy": round(accuracy, 3), "pairs": pairs,
        "pairwise_accuracy_same_question": round(within, 3), "pairs_same_question": within_pairs,
        "pairwise_accuracy_by_language": {lang: {"accuracy": round(acc, 3), "pairs": n}
                                          for lang, (acc, n) in by_language.items()},
        "target_accuracy": TARGET_ACCURACY, "mean_score_by_grade": {g: round(v, 1) for g, v in by_grade.items()},
        "mean_score_injection": round(statistics.fmean(injections), 1) if injections else None,
        "mean_seconds": round(statistics.fmean(r["seconds"] for r in results), 1),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="model package name or GGUF path")
    parser.add_argument("--items", choices=sorted(ITEMS), default="graded", help="which items to score")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N items")
    parser.add_argument("--match", default=None, help="score only items whose id contains one of these (a,b)")
    args = parser.parse_args()
    results = anyio.run(evaluate_all, args.model, load_items(args.limit, args.match, args.items))
    summary = summarize(args.model, results)
    rows = [
        ("model", args.model),
        ("items (failed)", f"{summary['items']} ({summary['failed']})"),
        ("pairwise accuracy, all pairs", f"{summary['pairwise_accuracy']:.1%} of {summary['pairs']} "
                                         f"(target {TARGET_ACCURACY:.0%})"),
        ("pairwise accuracy, same question", f"{summary['pairwise_accuracy_same_question']:.1%} of "
                                             f"{summary['pairs_same_question']}"),
        *[(f"pairwise accuracy, {lang} pairs", f"{v['accuracy']:.1%} of {v['pairs']}")
          for lang, v in summary["pairwise_accuracy_by_language"].items()],
        *[(f"mean score: {g}", f"{v:.1f}") for g, v in summary["mean_score_by_grade"].items()],
        ("mean score: injection items", f"{summary['mean_score_injection']}"),
        ("mean seconds per evaluation", f"{summary['mean_seconds']}"),
    ]
    print_table("Evaluator quality (grounded weighted scores, 0-100)", rows)
    name = "evaluator_quality" if args.items == "graded" else f"evaluator_quality-{args.items}"
    print(f"\nwrote {write_results(name, summary)}")


if __name__ == "__main__":
    main()
