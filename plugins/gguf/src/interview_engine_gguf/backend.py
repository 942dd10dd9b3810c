"""GGUFBackend: a ChatBackend on llama-cpp-python.

One ``Llama`` instance serves every request from a single worker thread (llama.cpp is not thread-safe),
fed by a priority queue (``schedule.py``): interactive requests go before background ones, and a running
background request pauses between two tokens while interactive work that arrived meanwhile runs (its
place in the model's cache is saved and restored, so it resumes where it stopped). The worker hands
each token to its caller through a queue and wakes the caller's event loop through a socket pair (one
wake-up per token, no thread hop), so nothing blocks the loop. A request cancelled while it waits is
skipped when its turn comes; one cancelled while it runs stops at the next token.
``generate_with_logprobs`` notes the likeliest tokens at each position as it samples (see
:mod:`.logprobs`). The prompts of background requests are kept in a prefix cache (``prefix_cache.py``):
an evaluation whose prompt starts like an earlier one's takes that prefix back from it even when other
requests ran in between.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio

from interview_engine.plugin_api import (
    MAX_TOP_LOGPROBS,
    Completion,
    CorruptModel,
    GenerationRequest,
    ProviderError,
    TokenLogprobs,
)

from .locate import ModelChoice, check_gguf
from .logprobs import TopLogprobs
from .plugin import PREFIX_CACHE_MB
from .prefix_cache import PrefixCache, PromptTokens, SavedSequence
from .schedule import INTERACTIVE, PriorityJobs

log = logging.getLogger(__name__)

_END = object()


@dataclass(eq=False)
class _Job:
    """One request. The worker owns ``_wake_w`` (and closes it when done); the caller owns ``wake_r``."""

    request: GenerationRequest | None
    """None asks only for the model to be loaded."""
    priority: int = INTERACTIVE
    top_logprobs: int = 0
    """With more than 0, the worker sets ``tokens`` before it finishes."""
    tokens: list[TokenLogprobs] = field(default_factory=list)
    out: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    cancelled: threading.Event = field(default_factory=threading.Event)
    wake_r: socket.socket = field(init=False)
    _wake_w: socket.socket = field(init=False)

    def __post_init__(self) -> None:
        self.wake_r, self._wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self._wake_w.setblocking(False)

    def put(self, item: Any) -> None:
        """Worker side: queue ``item`` and wake the caller (a gone caller is fine)."""
        self.out.put(item)
        try:
            self._wake_w.send(b"\0")
        except OSError:  # the caller left (closed its end) or has wake-ups pending already
            pass

    def finish(self) -> None:
        """Worker side: the last item."""
        self.put(_END)
        self._wake_w.close()

    async def next(self) -> Any:
        """Caller side: the next item, waiting on the event loop until the worker puts one."""
        while True:
            try:
                return self.out.get_nowait()
            except queue.Empty:
                await anyio.wait_readable(self.wake_r)
                try:
                    self.wake_r.recv(4096)
                except BlockingIOError:
                    pass


class GGUFBackend:
    """A chat model in a GGUF file, run by llama.cpp with the chat template from the file's metadata.

    ``json_schema`` requests decode under a grammar built from the schema. The model loads on first use
    (or ``await load()``) in the worker thread; a model package is assembled there first if needed.
    ``n_threads`` (default: every CPU) serves both prompt processing and generation. Requests are
    interactive unless made with ``priority=BACKGROUND``. ``prefix_cache_mb`` bounds the saved prompt
    prefixes (0: none); ``prompt_tokens`` counts where the prompt tokens read so far came from.
    ``use_mmap`` maps the file instead of reading it: on CPU, llama.cpp repacks most weights into memory
    of its own anyway, and mapped pages of the file then count a second time. ``flash_attn`` computes
    attention without the matrix of every prompt token against every cached one (it grows with the
    prompt: up to ~200 MB for a 512-token batch at n_ctx 8192 on the demo model). ``kv_cache_type``
    ``q8_0`` stores the model's cache in about half the memory of ``f16`` (needs ``flash_attn``). Both
    are off by default: they change the numbers llama.cpp computes, so outputs may differ.
    """

    def __init__(
        self, model: ModelChoice | str | os.PathLike[str], *, n_ctx: int = 8192, n_threads: int | None = None,
        n_gpu_layers: int = 0, chat_format: str | None = None, prefix_cache_mb: float = PREFIX_CACHE_MB,
        use_mmap: bool = False, flash_attn: bool = False, kv_cache_type: str = "f16",
    ) -> None:
        if not isinstance(model, ModelChoice):
            path = Path(model)
            check_gguf(path)
            model = ModelChoice(label=path.name, prepare=lambda: path, identity=str(path.resolve()))
        self.model_name = model.label
        self._choice = model
        threads = n_threads or default_threads()
        self._llama_options = {"n_ctx": n_ctx, "n_threads": threads, "n_threads_batch": threads,
                               "n_gpu_layers": n_gpu_layers, "chat_format": chat_format,
                               **llama_memory_options(use_mmap=use_mmap, flash_attn=flash_attn,
                                                      kv_cache_type=kv_cache_type)}
        self.prefixes = PrefixCache(_megabytes(prefix_cache_mb))
        self.prompt_tokens = PromptTokens()
        self._queue: PriorityJobs[_Job] = PriorityJobs()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._llama: Any = None
        self._load_error: ProviderError | None = None
        self._parsed: set[str] = set()
        self.model_path: Path | None = None

    async def load(self) -> None:
        """Load the model now (it otherwise loads on the first request); raises its load error."""
        async for _ in self._run(_Job(None)):
            pass

    async def generate(self, request: GenerationRequest, *, priority: int = INTERACTIVE) -> str:
        return "".join([delta async for delta in self.stream(request, priority=priority)])

    def stream(self, request: GenerationRequest, *, priority: int = INTERACTIVE) -> AsyncIterator[str]:
        return self._run(_Job(request, priority))

    async def generate_with_logprobs(
        self, request: GenerationRequest, top_logprobs: int, *, priority: int = INTERACTIVE
    ) -> Completion:
        """The completion and, for each token, its ``top_logprobs`` likeliest alternatives (before the
        schema's grammar masks any)."""
        if not 1 <= top_logprobs <= MAX_TOP_LOGPROBS:
            raise ValueError(f"top_logprobs must be 1 to {MAX_TOP_LOGPROBS}, not {top_logprobs}")
        job = _Job(request, priority, top_logprobs)
        text = "".join([delta async for delta in self._run(job)])
        return Completion(text=text, tokens=job.tokens)

    async def aclose(self) -> None:
        """Finish queued requests, stop the worker and free the model. Later requests raise ProviderError."""
        self._closed = True
        if self._thread is not None:
            self._queue.stop()
            await anyio.to_thread.run_sync(self._thread.join)
            self._thread = None

    async def _run(self, job: _Job) -> AsyncIterator[str]:
        if self._closed:
            raise ProviderError(f"the GGUF backend for {self.model_name} is closed")
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name=f"gguf:{self.model_name}", daemon=True)
            self._thread.start()
        self._queue.put(job, job.priority)
        try:
            while (item := await job.next()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            job.cancelled.set()
            job.wake_r.close()

    # the worker thread

    def _work(self) -> None:
        try:
            while (job := self._queue.get()) is not None:
                self._handle(job)
        finally:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    def _handle(self, job: _Job) -> None:
        try:
            if not job.cancelled.is_set():
                self._serve(job)
        except Exception as exc:  # delivered to the caller, typed where we know the cause
            job.put(exc if isinstance(exc, ProviderError) else ProviderError(
                f"llama.cpp failed on {self.model_name}: {type(exc).__name__}: {exc}"))
        finally:
            job.finish()

    def _serve(self, job: _Job) -> None:
        llama = self._ensure_loaded()
        if job.request is None:
            return
        request = job.request
        kwargs: dict[str, Any] = {
            "messages": [m.model_dump() for m in request.messages],
            "max_tokens": request.max_tokens, "temperature": request.temperature, "stream": True,
        }
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.json_schema is not None:
            kwargs["grammar"] = self._checked_grammar(llama, json.dumps(request.json_schema))
        recorder = TopLogprobs(job.top_logprobs) if job.top_logprobs else None
        if recorder is not None:
            from llama_cpp import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList([recorder])
        llama.save_prompts = job.priority > INTERACTIVE
        chunks = llama.create_chat_completion(**kwargs)  # a lazy generator: errors surface while iterating
        text: list[str] = []
        try:
            for chunk in chunks:
                if job.cancelled.is_set():
                    return
                delta = chunk["choices"][0]["delta"].get("content")
                if delta:
                    text.append(delta)
                    job.put(delta)
                if job.priority > INTERACTIVE:
                    self._yield_to_urgent(llama, job.priority)
            if recorder is not None:
                job.tokens = recorder.tokens("".join(text), llama.detokenize)
        except ValueError as exc:
            if "exceed context window" in str(exc):
                raise ProviderError(f"{exc}: the prompt is too long for n_ctx={llama.n_ctx()}; raise n_ctx") from exc
            raise
        finally:
            chunks.close()

    def _yield_to_urgent(self, llama: Any, priority: int) -> None:
        """Between two tokens of a background request: serve the more urgent requests queued meanwhile,
        then put the model back where the paused request left it (its cache, tokens and sampler)."""
        urgent = self._queue.take_urgent(priority)
        if urgent is None:
            return
        paused = _Pause.of(llama)
        while urgent is not None:
            self._handle(urgent)
            urgent = self._queue.take_urgent(priority)
        paused.restore(llama)

    def _checked_grammar(self, llama: Any, schema_json: str) -> Any:
        """The schema's grammar, parsed once by llama.cpp first: llama-cpp-python adds a grammar it cannot
        parse to the sampler chain unchecked, and sampling then crashes the process."""
        grammar = _grammar(schema_json)
        if grammar._grammar not in self._parsed:
            import llama_cpp

            sampler = llama_cpp.llama_sampler_init_grammar(
                llama._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8"))
            if not sampler:
                raise ProviderError("llama.cpp cannot parse the grammar built from this JSON schema "
                                    "(see its log above); simplify the schema")
            llama_cpp.llama_sampler_free(sampler)
            self._parsed.add(grammar._grammar)
        return grammar

    def _ensure_loaded(self) -> Any:
        if self._llama is not None:
            return self._llama
        if self._load_error is not None:
            raise self._load_error
        try:
            self._llama = self._load()
        except ProviderError as exc:
            self._load_error = exc
            raise
        return self._llama

    def _load(self) -> Any:
        from .prefixed import PrefixLlama

        path = self._choice.prepare()
        check_gguf(path)
        log.info("loading %s with llama.cpp (%s)", path, self._llama_options)
        try:
            llama = PrefixLlama(model_path=str(path), prefixes=self.prefixes, counts=self.prompt_tokens,
                                verbose=False, **self._llama_options)
        except ValueError as exc:
            raise CorruptModel(
                f"llama.cpp cannot load {path} (truncated or corrupt GGUF?): {exc}; replace the file"
            ) from exc
        self.model_path = path
        log.info("loaded %s (chat format %s)", path.name, llama.chat_format)
        return llama


@dataclass
class _Pause:
    """Where a generation stopped: its sequence in the model's cache, its tokens and its sampler (with
    the grammar's state). Only the cached sequence is copied, not llama-cpp-python's logits buffer."""

    sequence: SavedSequence
    sampler: Any

    @classmethod
    def of(cls, llama: Any) -> _Pause:
        return cls(SavedSequence.copy_out(llama), llama._sampler)

    def restore(self, llama: Any) -> None:
        self.sequence.copy_in(llama)
        llama._sampler = self.sampler


KV_CACHE_TYPES = {"f16": 1, "q8_0": 8}
"""The cache types offered, by their number in ggml's type enumeration (``llama_cpp.GGML_TYPE_*``)."""


def llama_memory_options(*, use_mmap: bool, flash_attn: bool, kv_cache_type: str) -> dict[str, Any]:
    """``Llama`` keyword arguments for the settings that decide how much memory the model takes, checked
    (a bad value raises ValueError naming the option)."""
    for name, flag in (("use_mmap", use_mmap), ("flash_attn", flash_attn)):
        if not isinstance(flag, bool):
            raise ValueError(f"{name} must be true or false, not {flag!r}")
    if kv_cache_type not in KV_CACHE_TYPES:
        raise ValueError(f"kv_cache_type must be one of {', '.join(KV_CACHE_TYPES)}, not {kv_cache_type!r}")
    if kv_cache_type != "f16" and not flash_attn:
        raise ValueError(f"kv_cache_type {kv_cache_type!r} needs flash_attn (llama.cpp quantizes the cache's "
                         "values only with flash attention)")
    cache_type = KV_CACHE_TYPES[kv_cache_type]
    return {"use_mmap": use_mmap, "flash_attn": flash_attn, "type_k": cache_type, "type_v": cache_type}


def _megabytes(value: float) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"prefix_cache_mb must be a number of megabytes, 0 (no prefix cache) or more, not {value!r}")
    return int(value * 2**20)


def default_threads() -> int:
    """Every CPU the machine has: one process serves the model for both roles."""
    return max(1, os.cpu_count() or 1)


_LAX_CHAR = '[^"\\\\]'
_JSON_CHAR = '[^"\\\\\\x7F\\x00-\\x1F]'


@lru_cache(maxsize=32)
def _grammar(schema_json: str) -> Any:
    """A llama.cpp grammar for a JSON schema; a schema it cannot express is an error, not plain JSON.

    llama-cpp-python's converter lets strings hold raw control characters (invalid JSON: a model may
    write a bare newline in a string); its string character rule is tightened as llama.cpp's own is.
    """
    from llama_cpp import LlamaGrammar
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        gbnf = json_schema_to_gbnf(schema_json)
    except Exception as exc:
        raise ProviderError(f"llama.cpp cannot turn this JSON schema into a grammar: {exc}") from exc
    lines = [line.replace(_LAX_CHAR, _JSON_CHAR, 1) if line.startswith("char ::=") else line
             for line in gbnf.splitlines()]
    return LlamaGrammar.from_string("\n".join(lines), verbose=False)
