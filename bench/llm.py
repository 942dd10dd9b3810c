"""The gguf plugin on the demo model (Qwen2.5-Coder-1.5B Q4_K_M by default). Not a test.

- time to the first streamed question, and to all 5, from LLMQuestionSource;
- generation speed through GGUFBackend against llama-cpp-python called directly on the same prompt
  (greedy, so both produce the same tokens; alternating runs, medians); the ratio must be >= 0.95;
- latency and schema-valid rate of evaluations: the first scoring attempt LLMEvaluator makes (after the
  question's key points, which it remembers per question) for each item of
  bench/data/evaluator_items.json (cycled to ``--evaluations``), decoded once under the evaluation
  schema with no retry, and checked with jsonschema, the output model and the rubric;
- prompt prefix reuse (stage ``prefix``, not run by default): the answers to one question
  (``--prefix-items``) evaluated in turn as in a live interview, each after the follow-up decision on
  the answer before (interactive work that replaces the model's cache), the evaluation's first
  ``--prefix-tokens`` output tokens timed; the question's key points are asked for first, as when it is
  asked. Run once per configuration, back to back, each in a process of its own: main's behaviour (no
  prefix cache, the model file mapped) against the prefix cache with and without the file mapped. Reports
  evaluation latency p50, prompt tokens computed and restored per evaluation, and peak RSS.

    .venv/bin/python bench/llm.py [--model qwen2.5-coder-1.5b] [--evaluations 50] [--speed-runs 3] [--stages speed]
    .venv/bin/python bench/llm.py --stages prefix [--prefix-items en-db] [--prefix-tokens 16]

Prints tables and writes bench/results/llm.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from typing import Any

import anyio
import jsonschema
from evaluator_quality import load_items, print_table, request_for, write_results
from interview_engine_gguf.backend import GGUFBackend, default_threads
from interview_engine_gguf.locate import find_model
from interview_engine_gguf.plugin import QUESTION_SOURCE_DEFAULT_FILE, gguf_evaluator, gguf_question_source

from interview_engine.llm import GenerationRequest, evaluation_schema
from interview_engine.llm.evaluator import LLMEvaluator, evaluation_messages
from interview_engine.llm.schemas import RawScoreCard
from interview_engine.llm.structured import attempt_request, parse_output
from interview_engine.models import FollowUpRequest, InterviewSpec, QuestionPlanRequest

SPEC = InterviewSpec(
    role="Backend engineer", level="mid", language="en", question_count=5,
    job_description="Build and operate Python APIs on PostgreSQL and Redis; on call for payments.",
    resume="Five years at a fintech: payment APIs in Django, a MySQL to PostgreSQL migration, Celery jobs.",
)
SPEED_PROMPT = [{"role": "user", "content": "Explain in detail how a B-tree index speeds up a SQL query."}]
SPEED_TOKENS = 128
MIN_RATIO = 0.95
PREFIX_CONFIGS: dict[str, dict[str, Any]] = {
    "main: no prefix cache, mmap": {"prefix_cache_mb": 0, "use_mmap": True},
    "prefix cache, mmap": {"use_mmap": True},
    "prefix cache, no mmap (default)": {},
}


async def question_timing(model: str) -> dict[str, Any]:
    source = gguf_question_source(model=model, seed=1)
    started = time.perf_counter()
    await source.backend.load()
    load_s = time.perf_counter() - started
    request = QuestionPlanRequest(spec=SPEC, count=5, interview_id="bench", avoid=["Why do you want this job?"])
    started = time.perf_counter()
    times, texts = [], []
    async for draft in source.first_questions(request):
        times.append(time.perf_counter() - started)
        texts.append(draft.text)
    await source.aclose()
    return {"load_s": round(load_s, 2), "first_question_s": round(times[0], 2), "five_questions_s": round(times[-1], 2),
            "questions": len(texts), "question_times_s": [round(t, 2) for t in times], "texts": texts}


def _direct_run(llama: Any) -> tuple[str, int, float]:
    started = time.perf_counter()
    out = llama.create_chat_completion(SPEED_PROMPT, max_tokens=SPEED_TOKENS, temperature=0.0)
    return out["choices"][0]["message"]["content"], out["usage"]["completion_tokens"], time.perf_counter() - started


async def speed(model: str, runs: int) -> dict[str, Any]:
    from llama_cpp import Llama

    choice = find_model(role="question_source", default_file=QUESTION_SOURCE_DEFAULT_FILE, model=model)
    threads = default_threads()
    backend = GGUFBackend(choice, n_ctx=2048, n_threads=threads)
    await backend.load()
    llama = Llama(str(backend.model_path), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
    request = GenerationRequest(messages=SPEED_PROMPT, max_tokens=SPEED_TOKENS, temperature=0.0)
    plugin_tps, direct_tps, same = [], [], True
    for _ in range(runs):
        text, tokens, seconds = await anyio.to_thread.run_sync(_direct_run, llama)
        direct_tps.append(tokens / seconds)
        started = time.perf_counter()
        streamed = "".join([d async for d in backend.stream(request)])
        plugin_tps.append(tokens / (time.perf_counter() - started))
        same = same and streamed == text
    llama.close()
    await backend.aclose()
    plugin, direct = statistics.median(plugin_tps), statistics.median(direct_tps)
    return {"threads": threads, "tokens": tokens, "runs": runs, "same_output": same,
            "plugin_tokens_per_s": round(plugin, 2), "llama_cpp_tokens_per_s": round(direct, 2),
            "ratio": round(plugin / direct, 3), "min_ratio": MIN_RATIO}


async def evaluations(model: str, count: int) -> dict[str, Any]:
    items = load_items()
    evaluator = LLMEvaluator(GGUFBackend(find_model(role="evaluator", default_file="-", model=model)))
    await evaluator.backend.load()
    latencies, invalid = [], []
    for i in range(count):
        request = request_for(items[i % len(items)])
        schema = evaluation_schema(request.spec, request.answer.text)
        generation = attempt_request(await evaluator.scoring_messages(request), schema, attempt=0, seed=i,
                                     temperature=evaluator.temperature,
                                     max_tokens=evaluator.max_tokens_for(request.spec))
        started = time.perf_counter()
        text = await evaluator.backend.generate(generation)
        latencies.append(time.perf_counter() - started)
        try:
            jsonschema.validate(json.loads(text), schema)
            card = parse_output(text, RawScoreCard)
            assert {d.key for d in request.spec.rubric} <= set(card.scores)
        except (ValueError, AssertionError, jsonschema.ValidationError) as exc:
            invalid.append({"item": items[i % len(items)]["id"], "reason": str(exc)[:200]})
        print(f"evaluation {i + 1}/{count}: {latencies[-1]:.1f}s {'invalid' if invalid and invalid[-1] else 'ok'}",
              flush=True)
    await evaluator.aclose()
    return {"evaluations": count, "valid": count - len(invalid), "valid_rate": round(1 - len(invalid) / count, 3),
            "latency_p50_s": round(statistics.median(latencies), 2),
            "latency_p90_s": round(statistics.quantiles(latencies, n=10)[-1], 2), "invalid": invalid}


async def prefix_run(model: str, options: dict[str, Any], match: str, tokens: int) -> dict[str, Any]:
    """One configuration of the ``prefix`` stage, in this process (see the module's docstring)."""
    requests = [request_for(item) for item in load_items(match=match)]
    if len(requests) < 2 or len({r.question.text for r in requests}) != 1:
        raise SystemExit(f"--prefix-items {match!r} must select two or more answers to one question")
    source = gguf_question_source(model=model, seed=0, **options)
    evaluator = gguf_evaluator(model=model, **options)
    backend = evaluator.backend.backend
    started = time.perf_counter()
    await evaluator.backend.load()
    load_s = time.perf_counter() - started
    asked = await evaluator.scoring_messages(requests[0])  # the key points, as when the question is asked
    points = json.loads(asked[2].content)["points"]
    counts = backend.prompt_tokens
    latencies, interactive, evaluated, restored = [], [], [], []
    for before, request in zip([requests[-1], *requests], requests, strict=False):
        started = time.perf_counter()
        await source.follow_up(FollowUpRequest(spec=request.spec, question=request.question, answer=before.answer,
                                               follow_ups_left=1))
        interactive.append(time.perf_counter() - started)
        generation = GenerationRequest(messages=evaluation_messages(request, points), max_tokens=tokens,
                                       json_schema=evaluation_schema(request.spec, request.answer.text),
                                       temperature=0.0, seed=0)
        was = (counts.evaluated, counts.restored)
        started = time.perf_counter()
        await evaluator.backend.generate(generation)
        latencies.append(time.perf_counter() - started)
        evaluated.append(counts.evaluated - was[0])
        restored.append(counts.restored - was[1])
        print(f"  evaluation {len(latencies)}/{len(requests)}: {latencies[-1]:.1f} s, prompt tokens computed "
              f"{evaluated[-1]}, restored {restored[-1]}", file=sys.stderr, flush=True)
    cache_mb = backend.prefixes.nbytes / 2**20
    await source.aclose()
    await evaluator.aclose()
    return {"options": options, "load_s": round(load_s, 2), "evaluations": len(latencies),
            "latency_p50_s": round(statistics.median(latencies), 2), "latencies_s": [round(t, 2) for t in latencies],
            "follow_up_p50_s": round(statistics.median(interactive), 2),
            "prompt_tokens_computed": evaluated, "prompt_tokens_restored": restored,
            "prefix_cache_mb": round(cache_mb, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


async def prefix_reuse(args: argparse.Namespace) -> dict[str, Any]:
    """Every configuration of the ``prefix`` stage, back to back, each in a fresh process (its own peak RSS)."""
    runs = {}
    for name, options in PREFIX_CONFIGS.items():
        print(f"prefix: {name}", file=sys.stderr, flush=True)
        child = await anyio.run_process(
            [sys.executable, __file__, "--prefix-run", json.dumps(options), "--model", args.model,
             "--prefix-items", args.prefix_items, "--prefix-tokens", str(args.prefix_tokens)], stderr=None)
        runs[name] = json.loads(child.stdout.decode().splitlines()[-1])
    base = runs[next(iter(PREFIX_CONFIGS))]
    for run in runs.values():
        run["latency_ratio"] = round(run["latency_p50_s"] / base["latency_p50_s"], 3)
        run["peak_rss_ratio"] = round(run["peak_rss_mb"] / base["peak_rss_mb"], 3)
    return {"items": args.prefix_items, "output_tokens": args.prefix_tokens, "runs": runs}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"model": args.model}
    steps = {"questions": lambda: question_timing(args.model), "speed": lambda: speed(args.model, args.speed_runs),
             "evaluation": lambda: evaluations(args.model, args.evaluations), "prefix": lambda: prefix_reuse(args)}
    for name in args.stages.split(","):
        results[name] = await steps[name]()
        if name != "prefix":
            print(f"{name}: {json.dumps({k: v for k, v in results[name].items() if k != 'invalid'})}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="model package name or GGUF path")
    parser.add_argument("--evaluations", type=int, default=50)
    parser.add_argument("--speed-runs", type=int, default=3)
    parser.add_argument("--stages", default="questions,speed,evaluation",
                        help="which stages to run, in order (questions, speed, evaluation, prefix)")
    parser.add_argument("--prefix-items", default="en-db", help="bench items answering one question")
    parser.add_argument("--prefix-tokens", type=int, default=16, help="evaluation output tokens timed")
    parser.add_argument("--prefix-run", help=argparse.SUPPRESS)  # one configuration, in a child process
    args = parser.parse_args()
    if args.prefix_run is not None:
        print(json.dumps(anyio.run(prefix_run, args.model, json.loads(args.prefix_run), args.prefix_items,
                                   args.prefix_tokens)))
        return
    results = anyio.run(run, args)
    rows = [("model", args.model)]
    if q := results.get("questions"):
        rows += [("model load", f"{q['load_s']} s"),
                 ("time to first question (streamed)", f"{q['first_question_s']} s"),
                 (f"time to {q['questions']} questions", f"{q['five_questions_s']} s")]
    if s := results.get("speed"):
        rows += [("tokens/s through the plugin", f"{s['plugin_tokens_per_s']}"),
                 ("tokens/s llama.cpp alone", f"{s['llama_cpp_tokens_per_s']}"),
                 ("ratio (target >= 0.95)", f"{s['ratio']} (same output: {s['same_output']})")]
    if e := results.get("evaluation"):
        rows += [("evaluation latency p50 / p90", f"{e['latency_p50_s']} s / {e['latency_p90_s']} s"),
                 ("schema-valid evaluations", f"{e['valid']}/{e['evaluations']} ({e['valid_rate']:.0%})")]
    if p := results.get("prefix"):
        for name, r in p["runs"].items():
            rows += [(name, f"evaluation p50 {r['latency_p50_s']} s (x{r['latency_ratio']}), prompt tokens computed "
                            f"{statistics.mean(r['prompt_tokens_computed']):.0f} / restored "
                            f"{statistics.mean(r['prompt_tokens_restored']):.0f} per evaluation, follow-up p50 "
                            f"{r['follow_up_p50_s']} s, peak RSS {r['peak_rss_mb']} MB (x{r['peak_rss_ratio']}), "
                            f"load {r['load_s']} s")]
    print_table("LLM bench", rows)
    print(f"\nwrote {write_results('llm' if len(results) == 4 else 'llm-' + args.stages.replace(',', '-'), results)}")


if __name__ == "__main__":
    main()
