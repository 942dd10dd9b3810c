"""The ChatBackend protocol: what a model plugin implements. Prompts, schemas and validation live in
this package, so every backend behaves the same way.

A backend that can also report token log-probabilities implements LogprobBackend as well; callers
check for it (``isinstance(backend, LogprobBackend)``) and do without where it is missing."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from pydantic import Field

from ..models import Record


class ChatMessage(Record):
    """One message of a chat: who says it, and what."""

    role: Literal["system", "user", "assistant"]
    content: str


class GenerationRequest(Record):
    """One chat completion. With ``json_schema`` the backend must constrain decoding to that schema
    where it can (llama.cpp grammars, server-side ``response_format``); callers validate either way."""

    messages: list[ChatMessage]
    json_schema: dict[str, Any] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=8192)] = 512
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.2
    seed: int | None = None


MAX_TOP_LOGPROBS = 20
"""The most alternatives per token a caller may ask for (OpenAI's limit)."""


class TokenLogprobs(Record):
    """One generated token: where its text starts in the completion, and the likeliest tokens at its
    position with their log-probabilities under the model's own distribution, before any grammar or
    schema constraint (so a caller keeps the alternatives it accepts and renormalises over them)."""

    offset: Annotated[int, Field(ge=0)]
    """Characters of the completion before this token."""
    text: str
    top: dict[str, float]
    """Alternative token texts (this token's among them when it is likely enough) -> log-probability."""

    @classmethod
    def of(cls, offset: int, text: str, alternatives: Iterable[tuple[str, float]]) -> TokenLogprobs:
        """A token from (text, log-probability) alternatives; those that read alike (distinct tokens
        with the same text, such as partial UTF-8 sequences) add up."""
        top: dict[str, float] = {}
        for alternative, logprob in alternatives:
            known = top.get(alternative)
            top[alternative] = logprob if known is None else max(known, logprob) + math.log1p(
                math.exp(-abs(known - logprob)))
        return cls(offset=offset, text=text, top=top)


class Completion(Record):
    """A completion with its tokens, in order (none where the model or server gave no log-probabilities)."""

    text: str
    tokens: list[TokenLogprobs]


@runtime_checkable
class ChatBackend(Protocol):
    """A chat model. Implementations run inference off the event loop (a worker thread, a remote
    server) and are safe to call from concurrent tasks (queueing internally if the model is not)."""

    model_name: str

    async def generate(self, request: GenerationRequest) -> str:
        """The whole completion text."""
        ...

    def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        """The completion as text deltas, as they are produced."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class LogprobBackend(ChatBackend, Protocol):
    """A ChatBackend that can also say how likely each generated token and its alternatives were."""

    async def generate_with_logprobs(self, request: GenerationRequest, top_logprobs: int) -> Completion:
        """The whole completion, with up to ``top_logprobs`` (1 to MAX_TOP_LOGPROBS) alternatives for
        each of its tokens."""
        ...
