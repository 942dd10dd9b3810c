"""Shared machinery for language-model providers: one ChatBackend protocol that model plugins
(llama.cpp, transformers, OpenAI-compatible servers) implement, and the prompts, JSON schemas and
validation that turn any backend into a QuestionSource and an Evaluator."""

from .backend import ChatBackend, ChatMessage, GenerationRequest

__all__ = ["ChatBackend", "ChatMessage", "GenerationRequest"]
