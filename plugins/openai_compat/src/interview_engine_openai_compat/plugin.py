"""The openai_compat plugin: registers question source ``openai_compat`` and evaluator ``openai_compat``,
both on an OpenAI-compatible chat completions server.

Options (``INTERVIEW_ENGINE_QUESTION_SOURCE_OPTIONS`` / ``INTERVIEW_ENGINE_EVALUATOR_OPTIONS``, JSON):
``base_url`` (default ``$INTERVIEW_ENGINE_OPENAI_BASE_URL`` or http://127.0.0.1:8000/v1), ``api_key``
(default ``$INTERVIEW_ENGINE_OPENAI_API_KEY`` or ``$OPENAI_API_KEY``), ``model`` (default
``$INTERVIEW_ENGINE_OPENAI_MODEL``), ``timeout``, ``max_retries``, ``backoff_s``, ``max_backoff_s``,
``response_format`` (auto, json_schema, json_object, none), ``attempts``, ``temperature``, ``seed``; the
evaluator also takes ``max_tokens``.

Completions are streamed; llama-cpp-python's own server interrupts a streaming completion when another
request arrives unless it runs with ``--interrupt_requests false``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interview_engine.plugin_api import hookimpl

if TYPE_CHECKING:
    from interview_engine.plugin_api import LLMEvaluator, LLMQuestionSource

    from .backend import OpenAICompatBackend


def _backend(server_options: dict[str, Any]) -> OpenAICompatBackend:
    from .backend import OpenAICompatBackend
    from .options import OpenAICompatOptions

    return OpenAICompatBackend(OpenAICompatOptions.parse(server_options))


def openai_compat_question_source(
    *, attempts: int = 3, temperature: float = 0.7, seed: int | None = None, **server_options: Any
) -> LLMQuestionSource:
    """The ``openai_compat`` question source."""
    from interview_engine.plugin_api import LLMQuestionSource

    backend = _backend(server_options)
    return LLMQuestionSource(backend, attempts=attempts, temperature=temperature, seed=seed)


def openai_compat_evaluator(
    *, attempts: int = 3, temperature: float = 0.0, seed: int | None = 0, max_tokens: int | None = None,
    **server_options: Any,
) -> LLMEvaluator:
    """The ``openai_compat`` evaluator."""
    from interview_engine.plugin_api import LLMEvaluator

    backend = _backend(server_options)
    return LLMEvaluator(backend, attempts=attempts, temperature=temperature, seed=seed, max_tokens=max_tokens)


@hookimpl
def register_question_sources(register: Any) -> None:
    register("openai_compat", openai_compat_question_source)


@hookimpl
def register_evaluators(register: Any) -> None:
    register("openai_compat", openai_compat_evaluator)
