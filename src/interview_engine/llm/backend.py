"""The ChatBackend protocol: what a model plugin implements. Prompts, schemas and validation live in
this package, so every backend behaves the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from pydantic import Field

from ..models import Model


class ChatMessage(Model):
    role: Literal["system", "user", "assistant"]
    content: str


class GenerationRequest(Model):
    """One chat completion. With ``json_schema`` the backend must constrain decoding to that schema
    where it can (llama.cpp grammars, server-side ``response_format``); callers validate either way."""

    messages: list[ChatMessage]
    json_schema: dict[str, Any] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=8192)] = 512
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.2
    seed: int | None = None


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
