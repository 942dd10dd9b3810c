"""How well the engine finds text addressed to the evaluator. Not a test.

Runs ``interview_engine.injection.screen_answer`` over every item of bench/data/injection_corpus.json
(answers labelled ``injection`` or ``benign``, English and Korean, obfuscated copies included) and prints,
per split (``dev`` is tuned on, ``test`` is held out) and per language, precision, recall and the
false-positive rate, with the items it got wrong. ``blind`` is the part of ``test`` written after the
rules were frozen (batch 4): the fairest estimate of how the rules meet new wording. It also times
screening a typical (2,000 characters) and the longest accepted answer (20,000) beside folding the same
text alone (``textnorm.fold``, the normalisation every match needs), as a baseline.

    .venv/bin/python bench/injection.py

Writes bench/results/injection.json. Targets on the held-out split: recall >= 0.95, FPR <= 0.02.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from interview_engine.injection import screen_answer
from interview_engine.models import MAX_ANSWER_CHARS
from interview_engine.textnorm import fold

CORPUS = Path(__file__).parent / "data" / "injection_corpus.json"
RESULTS = Path(__file__).parent / "results"
TARGET_RECALL = 0.95
TARGET_FPR = 0.02
BLIND_BATCH = 4


def load_corpus() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(CORPUS.read_text(encoding="utf-8"))["items"]
    return items


def flagged(text: str) -> bool:
    return screen_answer(text).flagged


def confusion(items: Sequence[dict[str, Any]], detect: Callable[[str], bool]) -> dict[str, Any]:
    """Counts, rates and the ids of the items the detector got wrong."""
    missed = [i["id"] for i in items if i["label"] == "injection" and not detect(i["text"])]
    false_alarms = [i["id"] for i in items if i["label"] == "benign" and detect(i["text"])]
    attacks = sum(i["label"] == "injection" for i in items)
    benign = len(items) - attacks
    caught = attacks - len(missed)
    raised = caught + len(false_alarms)
    return {
        "injections": attacks, "benign": benign, "caught": caught, "missed": missed,
        "false_positives": false_alarms,
        "precision": caught / raised if raised else None,
        "recall": caught / attacks if attacks else None,
        "fpr": len(false_alarms) / benign if benign else None,
    }


def time_screening(chars: int, repeats: int = 5) -> dict[str, float]:
    """Milliseconds to screen an answer of ``chars`` characters, beside folding it alone (the baseline)."""
    unit = ("I would add a composite index on tenant_id and created_at, check the plan with EXPLAIN ANALYZE "
            "and roll it out behind a flag. 복합 인덱스를 추가하고 실행 계획을 확인하겠습니다.\n")
    text = (unit * (chars // len(unit) + 1))[:chars]

    def best(fn: Callable[[str], object]) -> float:
        times = []
        for _ in range(repeats):
            screen_answer.cache_clear()
            start = time.perf_counter()
            fn(text)
            times.append(time.perf_counter() - start)
        return min(times) * 1000

    screen_ms, fold_ms = best(screen_answer), best(fold)
    return {"chars": chars, "screen_ms": screen_ms, "fold_ms": fold_ms, "ratio": screen_ms / fold_ms}


def fmt(value: float | None) -> str:
    return "   —" if value is None else f"{value:.3f}"


def main() -> None:
    items = load_corpus()
    table: dict[str, dict[str, Any]] = {}
    print(f"{'split':<5} {'lang':<4} {'inj':>4} {'benign':>6} {'precision':>9} {'recall':>7} {'FPR':>6}")
    parts = {"dev": lambda i: i["split"] == "dev", "test": lambda i: i["split"] == "test",
             "blind": lambda i: i["split"] == "test" and i["batch"] == BLIND_BATCH}
    for split, chosen_by in parts.items():
        for language in ("en", "ko", "all"):
            chosen = [i for i in items if chosen_by(i) and language in ("all", i["language"])]
            row = confusion(chosen, flagged)
            table[f"{split}/{language}"] = row
            print(f"{split:<5} {language:<4} {row['injections']:>4} {row['benign']:>6} {fmt(row['precision']):>9} "
                  f"{fmt(row['recall']):>7} {fmt(row['fpr']):>6}")
    for split in ("dev", "test"):
        row = table[f"{split}/all"]
        if row["missed"]:
            print(f"{split} missed: {', '.join(row['missed'])}")
        if row["false_positives"]:
            print(f"{split} false positives: {', '.join(row['false_positives'])}")
    timing = [time_screening(chars) for chars in (2_000, MAX_ANSWER_CHARS)]
    print(f"\n{'answer chars':>12} {'screen ms':>9} {'fold ms':>8} {'ratio':>6}")
    for row in timing:
        print(f"{row['chars']:>12,} {row['screen_ms']:>9.1f} {row['fold_ms']:>8.1f} {row['ratio']:>5.1f}x")
    held_out = table["test/all"]
    met = (held_out["recall"] or 0) >= TARGET_RECALL and (held_out["fpr"] or 0) <= TARGET_FPR
    print(f"held-out targets (recall >= {TARGET_RECALL}, FPR <= {TARGET_FPR}): {'met' if met else 'NOT met'}")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "injection.json"
    path.write_text(json.dumps({"splits": table, "timing": timing, "targets_met": met}, indent=2) + "\n",
                    encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
