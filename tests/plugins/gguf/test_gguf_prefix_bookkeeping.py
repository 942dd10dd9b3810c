"""PrefixCache's bookkeeping (no model): the longest shared prefix wins, the byte budget holds, least
recently used out first, and a sequence that extends a saved one replaces it; bad settings (the cache's
and the other memory settings) are refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from interview_engine_gguf.plugin import gguf_evaluator
from interview_engine_gguf.prefix_cache import PrefixCache, SavedSequence, shared_prefix


def saved(tokens: list[int], size: int = 100) -> SavedSequence:
    return SavedSequence(np.asarray(tokens, dtype=np.intc), data=None, size=size)


def test_shared_prefix_counts_tokens_in_common_from_the_start() -> None:
    a = np.asarray([1, 2, 3, 4], dtype=np.intc)
    others = ([1, 2, 9], [1, 2, 3, 4, 5], [9], [])
    assert [shared_prefix(a, np.asarray(b, dtype=np.intc)) for b in others] == [2, 4, 0, 0]


def test_the_sequence_sharing_the_longest_prefix_is_found() -> None:
    cache = PrefixCache(10_000)
    short, long = saved([1, 2, 3]), saved([1, 2, 7, 8, 9])
    cache.add(short)
    cache.add(long)
    assert cache.longest([1, 2, 7, 8, 0]) == (long, 4)
    assert cache.longest([1, 2, 3, 4]) == (short, 3)
    assert cache.longest([5, 6]) == (None, 0)


def test_the_byte_budget_holds_and_the_least_recently_used_goes_first() -> None:
    cache = PrefixCache(3 * (100 + 3 * 4))  # three sequences of three tokens
    first, second, third = saved([1, 1, 1]), saved([2, 2, 2]), saved([3, 3, 3])
    for one in (first, second, third):
        cache.add(one)
    cache.longest([1, 1, 1])  # used: now the most recent
    cache.add(saved([4, 4, 4]))
    assert cache.longest([2, 2, 2]) == (None, 0) and cache.longest([1, 1, 1]) == (first, 3)
    assert len(cache) == 3 and cache.nbytes == 3 * (100 + 12) <= cache.capacity_bytes
    cache.add(saved([5, 5, 5], size=10_000))  # larger than the whole budget: not kept, nothing dropped
    assert len(cache) == 3


def test_a_sequence_extending_a_saved_one_replaces_it() -> None:
    cache = PrefixCache(10_000)
    cache.add(saved([1, 2, 3]))
    longer = saved([1, 2, 3, 4, 5])
    cache.add(longer)
    assert len(cache) == 1 and cache.longest([1, 2, 3]) == (longer, 3)


def test_a_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="0 or more bytes"):
        PrefixCache(-1)


@pytest.mark.parametrize("options", [
    {"prefix_cache_mb": -1}, {"prefix_cache_mb": "64"}, {"prefix_cache_mb": float("nan")}, {"use_mmap": "no"},
    {"flash_attn": 1}, {"kv_cache_type": "q4"}, {"kv_cache_type": None},
])
def test_bad_cache_and_loading_settings_are_refused_before_loading(
    gguf_options: dict[str, Any], options: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"^(prefix_cache_mb|use_mmap|flash_attn|kv_cache_type) must be"):
        gguf_evaluator(**gguf_options, **options)


def test_a_quantized_cache_without_flash_attention_is_refused(gguf_options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="kv_cache_type 'q8_0' needs flash_attn"):
        gguf_evaluator(**gguf_options, kv_cache_type="q8_0", flash_attn=False)
