"""One loaded model per process: providers that name the same model (the same file or package, with the
same llama.cpp settings) share one ``GGUFBackend`` through handles, each with its own priority. The model
is freed when the last handle closes."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from interview_engine.plugin_api import Completion, GenerationRequest

from .backend import GGUFBackend
from .locate import ModelChoice

_lock = threading.Lock()
_models: dict[tuple[Any, ...], tuple[GGUFBackend, int]] = {}
"""Model key -> (backend, open handles)."""


class SharedModel:
    """A ChatBackend handle on a process-wide backend; its requests carry the handle's priority."""

    def __init__(self, key: tuple[Any, ...], backend: GGUFBackend, priority: int) -> None:
        self._key = key
        self.backend = backend
        self.priority = priority
        self.model_name = backend.model_name
        self._closed = False

    @property
    def model_path(self) -> Path | None:
        return self.backend.model_path

    async def load(self) -> None:
        await self.backend.load()

    async def generate(self, request: GenerationRequest) -> str:
        return await self.backend.generate(request, priority=self.priority)

    def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        return self.backend.stream(request, priority=self.priority)

    async def generate_with_logprobs(self, request: GenerationRequest, top_logprobs: int) -> Completion:
        return await self.backend.generate_with_logprobs(request, top_logprobs, priority=self.priority)

    async def aclose(self) -> None:
        """Release this handle; the last one closes the model. Idempotent."""
        if self._closed:
            return
        self._closed = True
        with _lock:
            backend, handles = _models[self._key]
            if handles > 1:
                _models[self._key] = (backend, handles - 1)
                return
            del _models[self._key]
        await backend.aclose()


def shared_model(choice: ModelChoice, *, priority: int, **llama_options: Any) -> SharedModel:
    """A handle on the process's backend for this model and these llama.cpp settings, creating it first."""
    key = (choice.identity, *sorted(llama_options.items()))
    with _lock:
        backend, handles = _models.get(key) or (GGUFBackend(choice, **llama_options), 0)
        _models[key] = (backend, handles + 1)
    return SharedModel(key, backend, priority)
