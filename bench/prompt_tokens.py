"""How long the evaluator's scoring prompt gets for long answers, in each model's own tokens. Not a test.

Builds the scoring chat LLMEvaluator sends (system prompt, question, key points, fenced answer) for
English and Korean answers of 2,000, 12,000 (the old cut) and 20,000 characters (the longest accepted),
tokenizes it with each installed GGUF model's vocabulary (llama.cpp, vocabulary only: no weights are
loaded), and prints the tokens beside the prompt without the answer (the baseline) and whether prompt
plus the output budget for that answer (``LLMEvaluator.max_tokens_for``) fits the gguf plugin's
default context of 8,192 tokens.

    .venv/bin/python bench/prompt_tokens.py

Writes bench/results/prompt_tokens.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from interview_engine_gguf.locate import find_model

from interview_engine.llm import LLMEvaluator
from interview_engine.llm.evaluator import evaluation_messages
from interview_engine.llm.testing import ScriptedBackend
from interview_engine.models import Answer, EvaluationRequest, InterviewSpec, Question

RESULTS = Path(__file__).parent / "results"
MODELS = ("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "smollm2-135m")
"""The demo model as assembled in the models directory (./scripts/demo.sh), and the test model package."""
N_CTX = 8192
SIZES = (2_000, 12_000, 20_000)
UNITS = {
    "en": "I would measure p99 latency per endpoint, add a composite index on tenant_id and created_at, check the "
          "plan with EXPLAIN ANALYZE and ship it behind a feature flag. ",
    "ko": "먼저 엔드포인트별 p99 지연 시간을 측정하고, tenant_id와 created_at에 복합 인덱스를 추가한 뒤 EXPLAIN "
          "ANALYZE로 실행 계획을 확인하고 기능 플래그 뒤에서 배포하겠습니다. ",
}
PER_MESSAGE_TOKENS = 5
"""Chat-template tokens around each message (role markers), roughly."""


def prompt_text(language: str, chars: int) -> tuple[list[str], int]:
    """The scoring chat's messages for an answer of ``chars`` characters, and the output budget for it."""
    spec = InterviewSpec(role="Backend engineer", language=language)  # type: ignore[arg-type]
    question = Question(interview_id="bench", ordinal=0, kind="generated", text="How would you speed up a slow query?")
    text = (UNITS[language] * (chars // len(UNITS[language]) + 1))[:chars] if chars else "-"
    answer = Answer(interview_id="bench", question_id=question.id, text=text)
    request = EvaluationRequest(spec=spec, question=question, answer=answer)
    messages = evaluation_messages(request, ["measure first", "composite index", "check the plan"])
    return [m.content for m in messages], LLMEvaluator(ScriptedBackend()).max_tokens_for(spec, text)


def main() -> None:
    import llama_cpp

    rows: list[dict[str, Any]] = []
    print(f"{'model':<40} {'lang':<4} {'answer chars':>12} {'prompt tokens':>13} {'baseline':>8} {'x':>5} "
          f"{'fits ' + str(N_CTX):>9}")
    for name in MODELS:
        try:
            path = find_model(role="evaluator", default_file="-", model=name).prepare()
        except Exception as exc:  # a model package that is not installed here
            print(f"{name:<40} skipped: {exc}")
            continue
        vocab = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)

        def tokens(parts: list[str], vocab: llama_cpp.Llama = vocab) -> int:
            return sum(len(vocab.tokenize(p.encode("utf-8"), add_bos=False)) + PER_MESSAGE_TOKENS for p in parts)

        for language in UNITS:
            baseline = tokens(prompt_text(language, 0)[0])
            for chars in SIZES:
                parts, output_budget = prompt_text(language, chars)
                total = tokens(parts)
                fits = total + output_budget <= N_CTX
                rows.append({"model": name, "language": language, "answer_chars": chars, "prompt_tokens": total,
                             "baseline_tokens": baseline, "output_budget": output_budget, "fits_default_ctx": fits})
                print(f"{name:<40} {language:<4} {chars:>12,} {total:>13,} {baseline:>8,} {total / baseline:>5.1f} "
                      f"{'yes' if fits else 'NO':>9}")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "prompt_tokens.json"
    path.write_text(json.dumps({"n_ctx": N_CTX, "rows": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
