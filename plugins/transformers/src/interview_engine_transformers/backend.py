"""TransformersBackend: a ChatBackend on a local Hugging Face model, run in one worker thread.

The model loads once, on the worker, at the first request. Requests queue for the worker (one
generation at a time per model); text streams back as it is produced. With a JSON schema, decoding
is constrained to it (see :mod:`.constrained`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import aclosing, suppress
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import torch
from transformers import (
    AsyncTextIteratorStreamer,
    GenerationConfig,
    LogitsProcessorList,
    StoppingCriteria,
    StoppingCriteriaList,
)

from interview_engine.plugin_api import GenerationRequest, InterviewEngineError, ProviderError

from .constrained import JsonSchemaLogitsProcessor
from .loading import LoadedModel, choose_placement, load_model
from .locate import resolve_model_dir
from .options import TransformersOptions

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Usage:
    """Token counts and wall time of one generation."""

    prompt_tokens: int
    completion_tokens: int
    seconds: float


class _Cancelled(StoppingCriteria):
    """Stops generation once its caller has gone away."""

    def __init__(self, event: threading.Event) -> None:
        self._event = event

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), self._event.is_set(), dtype=torch.bool, device=input_ids.device)


class TransformersBackend:
    """A chat model on transformers + torch. Construction only finds the model (ModelNotFound when it
    is absent) and checks the placement; weights load on the worker thread at the first request."""

    _pool: ClassVar[dict[TransformersOptions, TransformersBackend]] = {}
    _pool_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, options: TransformersOptions | None = None) -> None:
        self.options = options or TransformersOptions()
        self.model_name = self.options.model
        self.path = resolve_model_dir(self.options.model, self.options.cache_dir)
        self.placement = choose_placement(self.options)
        self.last_usage: Usage | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ie-transformers-{id(self):x}")
        self._loaded: LoadedModel | None = None
        self._running: set[threading.Event] = set()
        self._holders = 1
        self._closed = False

    @classmethod
    def shared(cls, options: TransformersOptions) -> TransformersBackend:
        """The backend for ``options``, shared by every provider that asks for the same model and
        placement, so it loads once. Each caller calls ``aclose`` once; the last one frees the model."""
        with cls._pool_lock:
            backend = cls._pool.get(options)
            if backend is not None:
                backend._holders += 1
                return backend
            backend = cls._pool[options] = cls(options)
            return backend

    async def generate(self, request: GenerationRequest) -> str:
        async with aclosing(self.stream(request)) as chunks:
            return "".join([chunk async for chunk in chunks])

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]:
        loaded = await self._on_worker(self._load)
        streamer = AsyncTextIteratorStreamer(loaded.tokenizer, skip_prompt=True, skip_special_tokens=True)
        cancel = threading.Event()
        future = self._submit(self._generate, loaded, request, streamer, cancel)
        future.add_done_callback(lambda _: _end_quietly(streamer))
        try:
            async for text in streamer:
                if text:
                    yield text
            await asyncio.wrap_future(future)
        finally:
            cancel.set()

    async def aclose(self) -> None:
        """Release this holder; the last one stops any generation, ends the worker and frees the model."""
        with self._pool_lock:
            if self._closed:
                return
            self._holders -= 1
            if self._holders > 0:
                return
            self._closed = True
            if self._pool.get(self.options) is self:
                del self._pool[self.options]
        for event in list(self._running):
            event.set()
        await asyncio.to_thread(self._shutdown)

    def _shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._loaded = None
        if self.placement.device.startswith("cuda"):
            torch.cuda.empty_cache()

    async def _on_worker(self, fn: Callable[[], T]) -> T:
        return await asyncio.wrap_future(self._submit(fn))

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        if self._closed:
            raise ProviderError(f"the transformers backend for {self.model_name} is closed")
        return self._executor.submit(fn, *args)

    def _load(self) -> LoadedModel:
        if self._loaded is None:
            if self.options.threads is not None:
                torch.set_num_threads(self.options.threads)  # OpenMP: applies to this worker thread only
            started = time.perf_counter()
            self._loaded = load_model(self.path, self.placement)
            log.info("loaded %s in %.1f s", self.model_name, time.perf_counter() - started)
        return self._loaded

    def _generate(
        self, loaded: LoadedModel, request: GenerationRequest, streamer: AsyncTextIteratorStreamer,
        cancel: threading.Event,
    ) -> None:
        if cancel.is_set():
            return
        self._running.add(cancel)
        started = time.perf_counter()
        try:
            inputs = loaded.tokenizer.apply_chat_template(
                [m.model_dump() for m in request.messages], add_generation_prompt=True, return_tensors="pt",
                return_dict=True,
            ).to(loaded.model.device)
            max_new_tokens = min(request.max_tokens, self.options.max_new_tokens or request.max_tokens)
            processors = LogitsProcessorList()
            if request.json_schema is not None:
                processors.append(JsonSchemaLogitsProcessor(loaded.vocabulary, request.json_schema, max_new_tokens))
            sampling: dict[str, Any] = {"do_sample": False}
            if request.temperature > 0:
                sampling = {"do_sample": True, "temperature": request.temperature, "top_k": None, "top_p": 1.0}
            if request.seed is not None:
                torch.manual_seed(request.seed)
            config = GenerationConfig(max_new_tokens=max_new_tokens, eos_token_id=loaded.eos_ids,
                                      pad_token_id=loaded.pad_id, **sampling)
            with torch.inference_mode():
                output = loaded.model.generate(
                    **inputs, generation_config=config, logits_processor=processors, streamer=streamer,
                    stopping_criteria=StoppingCriteriaList([_Cancelled(cancel)]),
                )
        except InterviewEngineError:
            raise
        except torch.cuda.OutOfMemoryError as exc:
            raise ProviderError(f"{self.model_name} ran out of GPU memory; try quantization=4bit") from exc
        except Exception as exc:
            raise ProviderError(f"{self.model_name} failed to generate: {exc}") from exc
        finally:
            self._running.discard(cancel)
        prompt_tokens = inputs["input_ids"].shape[1]
        self.last_usage = Usage(prompt_tokens, output.shape[1] - prompt_tokens, time.perf_counter() - started)
        log.debug("%s: %s", self.model_name, self.last_usage)


def _end_quietly(streamer: AsyncTextIteratorStreamer) -> None:
    """End the stream, so its reader wakes up however the generation ended (the reader's event loop
    may already be gone)."""
    with suppress(RuntimeError):
        streamer.end()
