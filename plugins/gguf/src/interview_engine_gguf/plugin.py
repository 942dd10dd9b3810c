"""The gguf plugin: registers question source ``gguf`` and evaluator ``gguf``, both on llama.cpp.

Options (``INTERVIEW_ENGINE_EVALUATOR_OPTIONS`` / ``INTERVIEW_ENGINE_QUESTION_SOURCE_OPTIONS``, JSON):
``model_path`` (a .gguf file), ``model`` (a model package name such as ``qwen2.5-coder-1.5b`` or
``smollm2-135m``, or a file name in the models directory), ``models_dir``, ``n_ctx``, ``n_threads``,
``n_gpu_layers``, ``chat_format``, ``prefix_cache_mb``, ``use_mmap``, ``flash_attn``, ``kv_cache_type``
(see ``GGUFBackend``), ``attempts``, ``temperature``, ``seed``; the evaluator also takes
``max_tokens``. llama-cpp-python is imported only when a provider is created. Both roles naming the same
model with the same llama.cpp settings share one loaded copy, and the question source's requests go
before the evaluator's (``shared.py``, ``schedule.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interview_engine.plugin_api import hookimpl

if TYPE_CHECKING:
    from interview_engine.plugin_api import LLMEvaluator, LLMQuestionSource

EVALUATOR_DEFAULT_FILE = "solar-10.7b-instruct-v1.0.Q8_0.gguf"
"""upstage/SOLAR-10.7B-Instruct-v1.0 at Q8_0, looked for in the models directory."""
QUESTION_SOURCE_DEFAULT_FILE = "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf"
"""Llama-3.1-8B-Instruct at Q4_K_M, looked for in the models directory."""
PREFIX_CACHE_MB = 64.0
"""The default bound of a model's saved prompt prefixes (``GGUFBackend``): room for the prefixes of a few
evaluation prompts of the demo model (Qwen2.5-1.5B: 28 KiB a token)."""


def _backend(role: str, default_file: str, *, model: str | None, model_path: str | None,
             models_dir: str | None, **llama_options: Any) -> Any:
    from .locate import find_model
    from .schedule import BACKGROUND, INTERACTIVE
    from .shared import shared_model

    choice = find_model(role=role, default_file=default_file, model=model, model_path=model_path,
                        directory=models_dir)
    return shared_model(choice, priority=BACKGROUND if role == "evaluator" else INTERACTIVE, **llama_options)


def gguf_question_source(
    *, model: str | None = None, model_path: str | None = None, models_dir: str | None = None,
    n_ctx: int = 8192, n_threads: int | None = None, n_gpu_layers: int = 0, chat_format: str | None = None,
    prefix_cache_mb: float = PREFIX_CACHE_MB, use_mmap: bool = False, flash_attn: bool = False,
    kv_cache_type: str = "f16",
    attempts: int = 3, temperature: float = 0.7, seed: int | None = None,
) -> LLMQuestionSource:
    """The ``gguf`` question source (default model: Llama-3.1-8B-Instruct, else the demo package)."""
    from interview_engine.plugin_api import LLMQuestionSource

    backend = _backend("question_source", QUESTION_SOURCE_DEFAULT_FILE, model=model, model_path=model_path,
                       models_dir=models_dir, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=n_gpu_layers,
                       chat_format=chat_format, prefix_cache_mb=prefix_cache_mb, use_mmap=use_mmap,
                       flash_attn=flash_attn, kv_cache_type=kv_cache_type)
    return LLMQuestionSource(backend, attempts=attempts, temperature=temperature, seed=seed)


def gguf_evaluator(
    *, model: str | None = None, model_path: str | None = None, models_dir: str | None = None,
    n_ctx: int = 8192, n_threads: int | None = None, n_gpu_layers: int = 0, chat_format: str | None = None,
    prefix_cache_mb: float = PREFIX_CACHE_MB, use_mmap: bool = False, flash_attn: bool = False,
    kv_cache_type: str = "f16",
    attempts: int = 3, temperature: float = 0.0, seed: int | None = 0, max_tokens: int | None = None,
) -> LLMEvaluator:
    """The ``gguf`` evaluator (default model: SOLAR-10.7B-Instruct Q8_0, else the demo package)."""
    from interview_engine.plugin_api import LLMEvaluator

    backend = _backend("evaluator", EVALUATOR_DEFAULT_FILE, model=model, model_path=model_path,
                       models_dir=models_dir, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=n_gpu_layers,
                       chat_format=chat_format, prefix_cache_mb=prefix_cache_mb, use_mmap=use_mmap,
                       flash_attn=flash_attn, kv_cache_type=kv_cache_type)
    return LLMEvaluator(backend, attempts=attempts, temperature=temperature, seed=seed, max_tokens=max_tokens)


@hookimpl
def register_question_sources(register: Any) -> None:
    register("gguf", gguf_question_source)


@hookimpl
def register_evaluators(register: Any) -> None:
    register("gguf", gguf_evaluator)
