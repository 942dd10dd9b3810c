"""TransformersBackend on a Llama-3.1-8B-shaped model with random weights (built from the config, nothing
downloaded), in bfloat16 and in 4-bit (bitsandbytes NF4) on CUDA: load time, prefill time, generation
tokens/s for free text and for schema-constrained JSON (an evaluation score card), and GPU memory.
Prints a table and writes bench/results/transformers_gpu.json. Not a test.

    .venv/bin/python bench/transformers_gpu.py [--tokens 256] [--model-dir DIR]
    .venv/bin/python bench/transformers_gpu.py --tiny        # smoke check on CPU with a tiny model

Without CUDA (and without --tiny) it says it needs CUDA and exits 0 with a JSON saying so. The random
model is saved to --model-dir (about 16 GB; reused when a config.json is already there) or a temporary
directory. Prompt token counts are those of the test tokenizer, a small byte-level BPE.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "transformers_gpu.json"
GIB = 1024**3
CONFIGS: dict[str, dict[str, Any]] = {
    "bfloat16": {"dtype": "bfloat16", "quantization": "none"},
    "4-bit NF4": {"dtype": "bfloat16", "quantization": "4bit"},
}
KEY_POINTS = ["an index on the filtered column", "reading the query plan", "measuring after the change"]
"""The evaluator's first step (key points of a strong answer), given, so each run is one generation."""
TINY_CONFIGS: dict[str, dict[str, Any]] = {
    "float32 (CPU)": {"device": "cpu", "quantization": "none", "threads": 1},
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=256, help="tokens generated per measurement")
    parser.add_argument("--model-dir", type=Path, help="where to keep the random model between runs")
    parser.add_argument("--tiny", action="store_true", help="a tiny model on CPU, as a smoke check")
    return parser.parse_args()


def environment() -> dict[str, Any]:
    import torch
    import transformers

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else platform.processor() or "CPU"
    return {"device": device, "torch": torch.__version__, "transformers": transformers.__version__,
            "cuda": torch.version.cuda}


def evaluation_request(max_tokens: int, *, json_output: bool) -> Any:
    from interview_engine.llm import GenerationRequest, evaluation_messages, evaluation_schema
    from interview_engine.models import Answer, EvaluationRequest, Question
    from interview_engine.testing.conformance import ANSWERS, SPECS

    spec = SPECS["en"]
    question = Question(interview_id="bench", ordinal=0, kind="generated",
                        text="How would you speed up a slow database query?")
    answer = Answer(interview_id="bench", question_id=question.id, text=ANSWERS["en"])
    request = EvaluationRequest(spec=spec, question=question, answer=answer)
    messages = evaluation_messages(request, KEY_POINTS)
    schema = evaluation_schema(spec, answer.text) if json_output else None
    return GenerationRequest(messages=messages, json_schema=schema, max_tokens=max_tokens, temperature=0)


async def measure(model_dir: Path, name: str, options: dict[str, Any], tokens: int) -> dict[str, Any]:
    import torch
    from interview_engine_transformers.backend import TransformersBackend
    from interview_engine_transformers.loading import bitsandbytes_available
    from interview_engine_transformers.options import TransformersOptions

    if options.get("quantization") == "4bit" and not bitsandbytes_available():
        return {"config": name, "skipped": "bitsandbytes is not installed (pip install "
                                           "'interview-engine-transformers[cuda]')"}
    cuda = torch.cuda.is_available() and options.get("device") != "cpu"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    backend = TransformersBackend(TransformersOptions(model=str(model_dir), **options))
    try:
        started = time.perf_counter()
        await backend.generate(evaluation_request(1, json_output=False))
        load_s = time.perf_counter() - started
        loaded_bytes = torch.cuda.memory_allocated() if cuda else None
        await backend.generate(evaluation_request(1, json_output=False))
        prefill = backend.last_usage
        rates = {}
        for label, json_output in (("text", False), ("json", True)):
            await backend.generate(evaluation_request(tokens, json_output=json_output))
            usage = backend.last_usage
            assert usage is not None and prefill is not None
            decode_s = max(usage.seconds - prefill.seconds, 1e-9)
            rates[label] = (usage.completion_tokens - 1) / decode_s
        peak_bytes = torch.cuda.max_memory_allocated() if cuda else None
    finally:
        await backend.aclose()
        del backend
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
    assert prefill is not None
    return {
        "config": name, "placement": backend_placement(options), "load_s": round(load_s, 2),
        "prompt_tokens": prefill.prompt_tokens, "prefill_s": round(prefill.seconds, 3),
        "text_tokens_per_s": round(rates["text"], 1), "json_tokens_per_s": round(rates["json"], 1),
        "memory_after_load_gib": None if loaded_bytes is None else round(loaded_bytes / GIB, 2),
        "peak_memory_gib": None if peak_bytes is None else round(peak_bytes / GIB, 2),
    }


def backend_placement(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(options.items()))


def build_model(model_dir: Path, *, tiny: bool) -> Path:
    from interview_engine_transformers.testing import LLAMA_3_1_8B, build_random_llama

    if (model_dir / "config.json").is_file():
        return model_dir
    print(f"building a random {'tiny Llama' if tiny else 'Llama-3.1-8B-shaped model'} in {model_dir} …",
          flush=True)
    if tiny:
        return build_random_llama(model_dir, shape={"vocab_size": 4096})
    import torch

    build_random_llama(model_dir, shape=LLAMA_3_1_8B, dtype="bfloat16", device="cuda")
    gc.collect()
    torch.cuda.empty_cache()
    return model_dir


def print_table(report: dict[str, Any]) -> None:
    print(f"\nTransformersBackend on {report['model']} ({report['device']}, torch {report['torch']}), "
          f"{report['tokens']} tokens per run")
    header = f"{'config':<16}{'load s':>8}{'prefill s':>11}{'text tok/s':>12}{'JSON tok/s':>12}{'mem GiB':>9}" \
             f"{'peak GiB':>10}"
    print(header)
    print("-" * len(header))
    for row in report["results"]:
        if "skipped" in row:
            print(f"{row['config']:<16}skipped: {row['skipped']}")
            continue
        mem = "-" if row["memory_after_load_gib"] is None else f"{row['memory_after_load_gib']:.2f}"
        peak = "-" if row["peak_memory_gib"] is None else f"{row['peak_memory_gib']:.2f}"
        print(f"{row['config']:<16}{row['load_s']:>8.1f}{row['prefill_s']:>11.3f}{row['text_tokens_per_s']:>12.1f}"
              f"{row['json_tokens_per_s']:>12.1f}{mem:>9}{peak:>10}")
    print(f"prompt: {report['results'][0].get('prompt_tokens', '?')} tokens; wrote {RESULTS}")


def write(report: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")


def main() -> None:
    args = parse_args()
    import torch

    report: dict[str, Any] = {"benchmark": "transformers_gpu", **environment(), "tokens": args.tokens}
    if not args.tiny and not torch.cuda.is_available():
        reason = f"needs CUDA: torch {torch.__version__} sees no GPU (run with --tiny for a CPU smoke check)"
        print(reason)
        write({**report, "status": "skipped", "reason": reason})
        return
    report["model"] = "a tiny random Llama" if args.tiny else "a random Llama-3.1-8B-shaped model"
    configs = TINY_CONFIGS if args.tiny else CONFIGS
    with ExitStack() as stack:
        model_dir = args.model_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ie-bench-")))
        build_model(model_dir, tiny=args.tiny)
        report["results"] = [asyncio.run(measure(model_dir, name, options, args.tokens))
                             for name, options in configs.items()]
    report["status"] = "ok"
    write(report)
    print_table(report)


if __name__ == "__main__":
    main()
