"""Prompt prefixes kept out of the model's cache: a copy of llama.cpp's cached sequence for a prompt (the
keys and values of its tokens, not the logits) that a later prompt starting with the same tokens gets
back instead of recomputing them.

llama-cpp-python reuses the cache only for the prefix a prompt shares with the one just before it. An
evaluation's prompt starts with a long part fixed per question (system prompt, rubric, question, key
points), but in a live interview the next question or a follow-up decision runs between two evaluations
and replaces that cache. ``PrefixCache`` holds copies within a byte budget, least recently used out first.
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from interview_engine.plugin_api import ProviderError


@dataclass
class PromptTokens:
    """Prompt tokens a model has read, by where each came from."""

    evaluated: int = 0
    """Computed by the model."""
    restored: int = 0
    """Taken from a saved prefix."""
    reused: int = 0
    """Still in the model's cache from the request before (llama-cpp-python's own reuse)."""


@dataclass(eq=False)
class SavedSequence:
    """Sequence 0 of a model's cache, copied out, and the tokens it holds."""

    tokens: npt.NDArray[np.intc]
    data: Any
    """A ctypes byte array from ``llama_state_seq_get_data``."""
    size: int

    @property
    def nbytes(self) -> int:
        return self.size + self.tokens.nbytes

    @classmethod
    def copy_out(cls, llama: Any) -> SavedSequence:
        """What ``llama`` (a ``Llama``) holds now."""
        import llama_cpp

        size = llama_cpp.llama_state_seq_get_size(llama.ctx, 0)
        data = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llama.ctx, data, size, 0)
        return cls(llama.input_ids[:llama.n_tokens].copy(), data, written)

    def copy_in(self, llama: Any) -> None:
        """Put the sequence back in ``llama``'s cache in place of what it holds. The next decode computes
        fresh logits (llama-cpp-python's ``generate`` re-reads at least the prompt's last token)."""
        import llama_cpp

        llama._ctx.kv_cache_clear()
        if llama_cpp.llama_state_seq_set_data(llama.ctx, self.data, self.size, 0) != self.size:
            raise ProviderError("llama.cpp could not restore a saved sequence of its cache")
        llama.input_ids[:len(self.tokens)] = self.tokens
        llama.n_tokens = len(self.tokens)
        llama._requires_eval = True


def shared_prefix(a: npt.NDArray[np.intc], b: npt.NDArray[np.intc]) -> int:
    """How many tokens ``a`` and ``b`` share from their start."""
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if len(differ) else n


class PrefixCache:
    """Saved sequences within ``capacity_bytes``, found by the longest prefix they share with a prompt.

    Adding a sequence drops the ones whose tokens it starts with (it serves every prompt they would),
    then the least recently used ones until the rest fit; one larger than the whole budget is not kept.
    """

    def __init__(self, capacity_bytes: int) -> None:
        if capacity_bytes < 0:
            raise ValueError(f"the prefix cache's capacity must be 0 or more bytes, not {capacity_bytes}")
        self.capacity_bytes = capacity_bytes
        self._saved: OrderedDict[int, SavedSequence] = OrderedDict()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._saved)

    def longest(self, tokens: Sequence[int] | npt.NDArray[np.intc]) -> tuple[SavedSequence | None, int]:
        """The saved sequence sharing the longest prefix with ``tokens`` (now the most recently used),
        and that prefix's length; (None, 0) when none shares a token."""
        prompt = np.asarray(tokens, dtype=np.intc)
        best, length = None, 0
        for saved in self._saved.values():
            shared = shared_prefix(saved.tokens, prompt)
            if shared > length:
                best, length = saved, shared
        if best is not None:
            self._saved.move_to_end(id(best))
        return best, length

    def add(self, saved: SavedSequence) -> None:
        if saved.nbytes > self.capacity_bytes:
            return
        for key, old in list(self._saved.items()):
            if shared_prefix(old.tokens, saved.tokens) == len(old.tokens):
                self._drop(key)
        while self.nbytes + saved.nbytes > self.capacity_bytes:
            self._drop(next(iter(self._saved)))
        self._saved[id(saved)] = saved
        self.nbytes += saved.nbytes

    def _drop(self, key: int) -> None:
        self.nbytes -= self._saved.pop(key).nbytes
