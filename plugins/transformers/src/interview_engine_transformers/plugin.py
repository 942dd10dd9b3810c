"""The transformers plugin: registers question source ``transformers`` and evaluator ``transformers``,
both on one local Hugging Face chat model (loaded once when both roles use the same options).

Options (``INTERVIEW_ENGINE_QUESTION_SOURCE_OPTIONS`` / ``INTERVIEW_ENGINE_EVALUATOR_OPTIONS``, JSON):
``model`` (a model directory or a Hugging Face id in the local cache; default
``$INTERVIEW_ENGINE_TRANSFORMERS_MODEL`` or meta-llama/Llama-3.1-8B-Instruct), ``device`` (auto, cpu,
cuda, cuda:N), ``dtype`` (auto, bfloat16, float16, float32), ``quantization`` (auto, 4bit, 8bit, none),
``max_new_tokens``, ``threads``, ``cache_dir``, ``attempts``, ``temperature``, ``seed``; the evaluator also takes
``max_tokens``. torch and transformers are imported only when a provider is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interview_engine.plugin_api import hookimpl

if TYPE_CHECKING:
    from interview_engine.plugin_api import ChatBackend, LLMEvaluator, LLMQuestionSource


def _backend(model_options: dict[str, Any]) -> ChatBackend:
    from .options import TransformersOptions

    options = TransformersOptions.parse(model_options)
    from .backend import TransformersBackend

    return TransformersBackend.shared(options)


def transformers_question_source(
    *, attempts: int = 3, temperature: float = 0.7, seed: int | None = None, **model_options: Any
) -> LLMQuestionSource:
    """The ``transformers`` question source."""
    from interview_engine.plugin_api import LLMQuestionSource

    return LLMQuestionSource(_backend(model_options), attempts=attempts, temperature=temperature, seed=seed)


def transformers_evaluator(
    *, attempts: int = 3, temperature: float = 0.0, seed: int | None = 0, max_tokens: int | None = None,
    **model_options: Any,
) -> LLMEvaluator:
    """The ``transformers`` evaluator."""
    from interview_engine.plugin_api import LLMEvaluator

    return LLMEvaluator(_backend(model_options), attempts=attempts, temperature=temperature, seed=seed,
                        max_tokens=max_tokens)


@hookimpl
def register_question_sources(register: Any) -> None:
    register("transformers", transformers_question_source)


@hookimpl
def register_evaluators(register: Any) -> None:
    register("transformers", transformers_evaluator)
