"""Shared machinery for language-model providers: one ChatBackend protocol that model plugins
(llama.cpp, transformers, OpenAI-compatible servers) implement, and the prompts, JSON schemas and
validation that turn any backend into a QuestionSource and an Evaluator::

    source = LLMQuestionSource(backend)      # streams first questions, decides follow-ups
    evaluator = LLMEvaluator(backend)        # rubric scores with verbatim evidence quotes
"""

from .backend import ChatBackend, ChatMessage, Completion, GenerationRequest, LogprobBackend, TokenLogprobs
from .evaluator import LLMEvaluator, evaluation_messages
from .questions import LLMQuestionSource
from .schemas import evaluation_schema, follow_up_schema, questions_schema

__all__ = [
    "ChatBackend",
    "ChatMessage",
    "Completion",
    "GenerationRequest",
    "LLMEvaluator",
    "LLMQuestionSource",
    "LogprobBackend",
    "TokenLogprobs",
    "evaluation_messages",
    "evaluation_schema",
    "follow_up_schema",
    "questions_schema",
]
