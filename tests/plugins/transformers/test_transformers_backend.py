"""TransformersBackend on a tiny random-weight Llama: streaming, schema-constrained output, queueing,
cancellation, sharing, and the errors a user can cause."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from interview_engine_transformers.backend import TransformersBackend
from interview_engine_transformers.constrained import JsonSchemaLogitsProcessor
from interview_engine_transformers.options import TransformersOptions

from interview_engine.errors import ConfigurationError, ModelNotFound, ProviderError
from interview_engine.llm import ChatMessage, GenerationRequest
from interview_engine.llm.schemas import evaluation_schema, follow_up_schema, questions_schema
from interview_engine.testing.conformance import SPECS

pytestmark = pytest.mark.anyio

MESSAGES = [ChatMessage(role="system", content="Answer in JSON."),
            ChatMessage(role="user", content="데이터베이스 인덱스에 대해 설명해 주세요. Explain indexes.")]


def request(**fields: Any) -> GenerationRequest:
    return GenerationRequest(messages=MESSAGES, **fields)


@pytest.fixture
async def backend(tiny_llama: Path) -> AsyncIterator[TransformersBackend]:
    backend = TransformersBackend(TransformersOptions(model=str(tiny_llama), threads=1))
    yield backend
    await backend.aclose()


async def test_stream_yields_chunks_that_join_to_the_completion(backend: TransformersBackend) -> None:
    greedy = request(max_tokens=120, temperature=0)
    chunks = [chunk async for chunk in backend.stream(greedy)]
    assert len(chunks) > 1
    assert "".join(chunks) == await backend.generate(greedy)
    assert backend.last_usage is not None and backend.last_usage.completion_tokens == 120


async def test_first_chunk_arrives_before_the_generation_ends(backend: TransformersBackend) -> None:
    await backend.generate(request(max_tokens=1))  # load the model first
    backend.last_usage = None
    async for _ in backend.stream(request(max_tokens=400, temperature=0)):
        assert backend.last_usage is None, "the first chunk came only after the generation finished"
        break


@pytest.mark.parametrize("schema", [
    questions_schema(3), follow_up_schema(), evaluation_schema(SPECS["ko"]),
    {"type": "object", "properties": {"tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 3},
                                      "n": {"type": "integer", "minimum": -5, "maximum": 5}},
     "required": ["tags", "n"], "additionalProperties": False},
], ids=["questions", "follow_up", "evaluation", "enum_and_range"])
@pytest.mark.parametrize("temperature", [0.0, 1.0])
async def test_schema_constrained_output_is_valid(
    backend: TransformersBackend, schema: dict[str, Any], temperature: float
) -> None:
    text = await backend.generate(request(json_schema=schema, max_tokens=600, temperature=temperature, seed=1))
    jsonschema.validate(json.loads(text), schema)


async def test_output_wraps_up_to_fit_a_tight_budget(backend: TransformersBackend) -> None:
    schema = evaluation_schema(SPECS["en"])
    roomy = await backend.generate(request(json_schema=schema, max_tokens=1000, temperature=0))
    vocabulary = backend._loaded.vocabulary  # type: ignore[union-attr]
    shortest = JsonSchemaLogitsProcessor(vocabulary, schema, 1000).shortest_completion(limit=1000)
    for max_tokens in (shortest + 12, shortest + 80):
        text = await backend.generate(request(json_schema=schema, max_tokens=max_tokens, temperature=0))
        assert backend.last_usage is not None and backend.last_usage.completion_tokens <= max_tokens
        jsonschema.validate(json.loads(text), schema)
        assert len(text) < len(roomy)


async def test_a_budget_too_small_for_the_schema_gives_truncated_text(backend: TransformersBackend) -> None:
    text = await backend.generate(request(json_schema=evaluation_schema(SPECS["en"]), max_tokens=8))
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


async def test_an_unenforceable_schema_is_a_provider_error(backend: TransformersBackend) -> None:
    with pytest.raises(ProviderError, match="JSON schema"):
        await backend.generate(request(json_schema={"type": "object", "properties": {"x": {"type": "widget"}}}))


class GenerateSpy:
    """Wraps the loaded model's ``generate``: how many ran at once, and how many tokens each made."""

    def __init__(self, model: Any) -> None:
        self._generate = model.generate
        self._lock = threading.Lock()
        self.active = self.peak = 0
        self.new_tokens: list[int] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            output = self._generate(*args, **kwargs)
        finally:
            with self._lock:
                self.active -= 1
        self.new_tokens.append(output.shape[1] - kwargs["input_ids"].shape[1])
        return output


@pytest.fixture
async def spy(backend: TransformersBackend) -> AsyncIterator[GenerateSpy]:
    await backend.generate(request(max_tokens=1))  # load the model
    model = backend._loaded.model  # type: ignore[union-attr]
    model.generate = spy = GenerateSpy(model)
    yield spy
    del model.generate


async def test_concurrent_requests_run_one_at_a_time(backend: TransformersBackend, spy: GenerateSpy) -> None:
    texts = await asyncio.gather(*(backend.generate(request(max_tokens=30, seed=i)) for i in range(4)))
    assert len(texts) == 4 and spy.peak == 1


async def test_a_cancelled_stream_stops_its_generation(backend: TransformersBackend, spy: GenerateSpy) -> None:
    longest_token = int(backend._loaded.vocabulary.lengths.max())  # type: ignore[union-attr]
    at_least = 2000 // longest_token  # tokens a 2,000-character string needs, so no early end
    endless = request(max_tokens=4000, json_schema={"type": "string", "minLength": 2000})
    async with aclosing(backend.stream(endless)) as chunks:
        async for _ in chunks:
            break  # the consumer goes away after the first chunk
    assert await backend.generate(request(max_tokens=2))
    assert spy.new_tokens[0] < min(100, at_least), "the abandoned generation ran on"


async def test_shared_backend_loads_once_and_closes_with_its_last_holder(tiny_llama: Path) -> None:
    options = TransformersOptions(model=str(tiny_llama), threads=1)
    first, second = TransformersBackend.shared(options), TransformersBackend.shared(options)
    assert first is second
    await first.generate(request(max_tokens=2))
    await first.aclose()
    assert await second.generate(request(max_tokens=2))
    await second.aclose()
    await second.aclose()  # closing again is harmless
    assert not any(t.name.startswith(f"ie-transformers-{id(first):x}") for t in threading.enumerate())
    with pytest.raises(ProviderError, match="closed"):
        await first.generate(request(max_tokens=2))
    third = TransformersBackend.shared(options)
    assert third is not first
    await third.aclose()


async def test_missing_model_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match=f"no model directory at {tmp_path / 'absent'}"):
        TransformersBackend(TransformersOptions(model=str(tmp_path / "absent")))


async def test_directory_without_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match=r"has no config\.json"):
        TransformersBackend(TransformersOptions(model=str(tmp_path)))


async def test_model_id_not_in_the_cache_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match=f"not in the Hugging Face cache at {tmp_path}"):
        TransformersBackend(TransformersOptions(model="meta-llama/Llama-3.1-8B-Instruct", cache_dir=str(tmp_path)))


async def test_model_id_is_found_in_the_cache(tiny_llama: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "models--acme--tiny" / "snapshots" / ("0" * 40)
    shutil.copytree(tiny_llama, snapshot)
    (tmp_path / "models--acme--tiny" / "refs").mkdir()
    (tmp_path / "models--acme--tiny" / "refs" / "main").write_text("0" * 40)
    backend = TransformersBackend(TransformersOptions(model="acme/tiny", cache_dir=str(tmp_path), threads=1))
    try:
        assert backend.path == snapshot
        assert await backend.generate(request(max_tokens=2))
    finally:
        await backend.aclose()


async def test_missing_weights_fail_at_load_with_model_not_found(tiny_llama: Path, tmp_path: Path) -> None:
    broken = shutil.copytree(tiny_llama, tmp_path / "broken")
    (broken / "model.safetensors").unlink()
    backend = TransformersBackend(TransformersOptions(model=str(broken)))
    try:
        with pytest.raises(ModelNotFound, match=f"cannot load the model at {broken}"):
            await backend.generate(request(max_tokens=2))
    finally:
        await backend.aclose()


async def test_a_model_without_a_chat_template_is_refused(tiny_llama: Path, tmp_path: Path) -> None:
    base = shutil.copytree(tiny_llama, tmp_path / "base")
    (base / "chat_template.jinja").unlink(missing_ok=True)
    config = json.loads((base / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (base / "tokenizer_config.json").write_text(json.dumps(config))
    backend = TransformersBackend(TransformersOptions(model=str(base)))
    try:
        with pytest.raises(ProviderError, match="no chat template"):
            await backend.generate(request(max_tokens=2))
    finally:
        await backend.aclose()


@pytest.mark.parametrize(("options", "message"), [
    ({"quantization": "4bit", "device": "cpu"}, "needs a CUDA device"),
    ({"device": "cuda"}, "sees no CUDA device"),
    ({"device": "tpu"}, "invalid transformers options: device"),
    ({"temperature_bias": 1}, "invalid transformers options: temperature_bias"),
])
async def test_bad_options_are_configuration_errors(
    registry: Any, tiny_llama: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        registry.create("evaluator", "transformers", {"model": str(tiny_llama), **options})


async def test_missing_model_through_the_registry(registry: Any, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="INTERVIEW_ENGINE_TRANSFORMERS_MODEL"):
        registry.create("question_source", "transformers", {"model": str(tmp_path / "nowhere")})


def test_discovering_the_plugin_does_not_import_torch() -> None:
    code = ("import sys; from interview_engine.plugins import ProviderRegistry, build_plugin_manager; "
            "r = ProviderRegistry(build_plugin_manager(['transformers'], from_env=False)); "
            "assert 'transformers' in r.names('evaluator') and 'transformers' in r.names('question_source'); "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'heavy import'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
