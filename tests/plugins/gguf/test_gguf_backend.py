"""GGUFBackend on real llama.cpp: streaming, schema-constrained decoding, one worker serving concurrent
callers, cancellation that never wedges the queue, and closing."""

from __future__ import annotations

import json
from typing import Any

import anyio
import jsonschema
import pytest

from interview_engine.errors import ProviderError
from interview_engine.llm import ChatBackend, ChatMessage, GenerationRequest, follow_up_schema

pytestmark = pytest.mark.anyio

HELLO = [ChatMessage(role="user", content="Write a long story about a database.")]


def _request(max_tokens: int = 24, **kwargs: Any) -> GenerationRequest:
    return GenerationRequest(messages=HELLO, max_tokens=max_tokens, temperature=0.0, **kwargs)


async def test_is_a_chat_backend_that_streams_deltas(backend: Any) -> None:
    assert isinstance(backend, ChatBackend) and backend.model_name.endswith(".gguf")
    deltas = [d async for d in backend.stream(_request())]
    assert len(deltas) > 5
    assert "".join(deltas) == await backend.generate(_request())  # greedy: the same text both ways


async def test_decodes_under_a_json_schema(backend: Any) -> None:
    schema = follow_up_schema()
    text = await backend.generate(_request(max_tokens=200, json_schema=schema))
    jsonschema.validate(json.loads(text), schema)


async def test_concurrent_requests_are_served_one_by_one(backend: Any) -> None:
    results: list[str] = []

    async def one(seed: int) -> None:
        results.append(await backend.generate(_request(max_tokens=8, seed=seed)))

    async with anyio.create_task_group() as tg:
        for seed in range(4):
            tg.start_soon(one, seed)
    assert len(results) == 4 and all(results)


async def test_cancelling_running_and_waiting_requests_does_not_wedge_the_queue(backend: Any) -> None:
    await backend.load()
    long = _request(max_tokens=2000)
    async with anyio.create_task_group() as tg:
        for _ in range(3):  # one runs, two wait; all are cancelled
            tg.start_soon(backend.generate, long)
        await anyio.sleep(0.5)
        tg.cancel_scope.cancel()
    with anyio.fail_after(60):  # a wedged queue, or one still generating 2000 tokens, would not answer
        assert await backend.generate(_request(max_tokens=4))


async def test_a_closed_backend_refuses_requests(backend: Any) -> None:
    await backend.generate(_request(max_tokens=2))
    await backend.aclose()
    with pytest.raises(ProviderError, match="closed"):
        await backend.generate(_request())


async def test_a_prompt_longer_than_the_context_is_a_provider_error(backend: Any) -> None:
    huge = [ChatMessage(role="user", content="word " * 6000)]
    with pytest.raises(ProviderError, match="raise n_ctx"):
        await backend.generate(GenerationRequest(messages=huge, max_tokens=4))


async def test_strings_under_a_schema_hold_no_raw_control_characters(backend: Any) -> None:
    schema = {"type": "object", "properties": {"poem": {"type": "string", "maxLength": 400}},
              "required": ["poem"], "additionalProperties": False}
    poem = [ChatMessage(role="user", content="Write a poem of eight short lines, one per line, as JSON.")]
    for seed in range(3):
        text = await backend.generate(GenerationRequest(messages=poem, json_schema=schema, max_tokens=160,
                                                        temperature=0.8, seed=seed))
        assert json.loads(text)["poem"]  # strict JSON: a bare newline inside the string would fail here


async def test_a_grammar_llama_cpp_cannot_parse_is_a_provider_error_not_a_crash(backend: Any) -> None:
    schema = {"type": "object", "properties": {"quote": {"type": "string", "enum": ['say "hi"']}},
              "required": ["quote"]}  # llama-cpp-python's converter breaks the escaped quote
    with pytest.raises(ProviderError, match="cannot parse the grammar"):
        await backend.generate(_request(json_schema=schema))
    assert await backend.generate(_request(max_tokens=2))  # and the worker goes on


async def test_the_memory_settings_reach_llama_cpp(smollm2_path: Any, llama_options: dict[str, Any]) -> None:
    """Flash attention is on where asked, and a q8_0 cache holds a sequence in about half the bytes."""
    import llama_cpp
    from interview_engine_gguf.backend import GGUFBackend

    sizes: dict[str, int] = {}
    for flash_attn, cache_type in ((False, "f16"), (True, "q8_0")):
        gguf = GGUFBackend(smollm2_path, **llama_options, flash_attn=flash_attn, kv_cache_type=cache_type)
        try:
            await gguf.generate(_request(max_tokens=8))
            llama = gguf._llama
            assert llama.context_params.flash_attn_type == (
                llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED if flash_attn else llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED)
            sizes[cache_type] = llama_cpp.llama_state_seq_get_size(llama.ctx, 0)
        finally:
            await gguf.aclose()
    assert 0.4 < sizes["q8_0"] / sizes["f16"] < 0.65, sizes
