"""``PrefixLlama``: a llama-cpp-python ``Llama`` that takes a prompt's prefix from a ``PrefixCache`` when
that saves recomputing it, keeps the prompts of background requests there, and counts the prompt tokens
it reads. Imported only when a model loads (it imports llama-cpp-python)."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
from llama_cpp import Llama

from .prefix_cache import PrefixCache, PromptTokens, SavedSequence, shared_prefix

MIN_GAIN = 32
"""Restore a saved prefix only when it spares at least this many tokens beyond what the model's cache
already holds, and save a prompt only when at least this many of its tokens are not saved yet: copying a
sequence in or out costs about as much as computing a few tokens."""


class PrefixLlama(Llama):
    """A ``Llama`` whose ``generate`` first restores the saved sequence sharing the longest prefix with
    the prompt (when it beats the model's current cache by ``MIN_GAIN`` tokens), and, once the prompt is
    read, saves it when ``save_prompts`` is set."""

    def __init__(self, *args: Any, prefixes: PrefixCache, counts: PromptTokens, **kwargs: Any) -> None:
        self.prefixes = prefixes
        self.counts = counts
        self.save_prompts = False
        self._decoded = 0
        super().__init__(*args, **kwargs)

    def eval(self, tokens: Sequence[int]) -> None:
        self._decoded += len(tokens)
        super().eval(tokens)

    def generate(self, tokens: Sequence[int], *args: Any, **kwargs: Any) -> Generator[int, Any, None]:
        if not kwargs.get("reset", True):  # a continuation: llama-cpp-python matches no prefix either
            yield from super().generate(tokens, *args, **kwargs)
            return
        save = self.save_prompts
        prompt = np.asarray(tokens, dtype=np.intc)
        restored = self._restore(prompt)
        decoded = self._decoded
        steps = super().generate(prompt.tolist(), *args, **kwargs)
        try:
            first = next(steps, None)  # the prompt is read before the first token is sampled
            self._count(len(prompt), self._decoded - decoded, restored)
            if first is None:
                return
            if save:
                self._save(prompt)
            yield first
            yield from steps
        finally:
            steps.close()

    def _count(self, prompt: int, evaluated: int, restored: bool) -> None:
        self.counts.evaluated += evaluated
        if restored:
            self.counts.restored += prompt - evaluated
        else:
            self.counts.reused += prompt - evaluated

    def _restore(self, prompt: np.ndarray[Any, np.dtype[np.intc]]) -> bool:
        saved, length = self.prefixes.longest(prompt)
        if saved is None or length - shared_prefix(self.input_ids[:self.n_tokens], prompt) < MIN_GAIN:
            return False
        saved.copy_in(self)
        return True

    def _save(self, prompt: np.ndarray[Any, np.dtype[np.intc]]) -> None:
        if not self.prefixes.capacity_bytes:
            return
        _, length = self.prefixes.longest(prompt)
        if len(prompt) - length >= MIN_GAIN:
            self.prefixes.add(SavedSequence.copy_out(self))
