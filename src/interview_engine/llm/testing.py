"""ScriptedBackend: a ChatBackend that replies from a queue, for testing prompts, validation and
retries without a model. Real inference is tested in each model plugin's own tests."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator

from .backend import GenerationRequest


class ScriptedBackend:
    """Replies with enqueued texts in order (then ``default``), streamed in ``chunk``-character pieces;
    records every request."""

    model_name = "scripted"

    def __init__(self, *replies: str, default: str = "", chunk: int = 7) -> None:
        self._replies = deque(replies)
        self.default = default
        self.chunk = chunk
        self.requests: list[GenerationRequest] = []
        self.closed = False

    def enqueue(self, *replies: str) -> None:
        self._replies.extend(replies)

    async def generate(self, request: GenerationRequest) -> str:
        return "".join([part async for part in self.stream(request)])

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        self.requests.append(request)
        text = self._replies.popleft() if self._replies else self.default
        for i in range(0, len(text), self.chunk):
            yield text[i:i + self.chunk]

    async def aclose(self) -> None:
        self.closed = True
