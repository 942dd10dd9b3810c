"""OpenAICompatBackend against a scripted local server: requests, streaming, retries (429 with
Retry-After, 5xx, timeouts), giving up, format negotiation, and the errors a user can cause."""

from __future__ import annotations

import json
import time
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import anyio
import pytest
from interview_engine_openai_compat.backend import OpenAICompatBackend
from interview_engine_openai_compat.compat import without_unsafe_literals
from interview_engine_openai_compat.options import OpenAICompatOptions
from interview_engine_openai_compat.retry import Backoff, parse_retry_after

from interview_engine.errors import ConfigurationError, ProviderError
from interview_engine.llm import ChatMessage, GenerationRequest

pytestmark = pytest.mark.anyio

SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
REQUEST = GenerationRequest(messages=[ChatMessage(role="user", content="Say ok.")], max_tokens=16, seed=7)


def backend_for(server: Any, **options: Any) -> OpenAICompatBackend:
    return OpenAICompatBackend(OpenAICompatOptions(base_url=server.base_url, backoff_s=0.05, **options))


async def test_streams_the_completion_and_sends_the_request(scripted: Any) -> None:
    scripted.script(scripted.completion("Hel", "lo ", "there"))
    backend = backend_for(scripted, api_key="sk-test", model="served-model")
    chunks = [chunk async for chunk in backend.stream(REQUEST)]
    assert chunks == ["Hel", "lo ", "there"]
    sent = scripted.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["Authorization"] == "Bearer sk-test"
    assert sent["json"] == {"messages": [{"role": "user", "content": "Say ok."}], "max_tokens": 16,
                            "temperature": 0.2, "stream": True, "model": "served-model", "seed": 7}


async def test_generate_joins_the_stream(scripted: Any) -> None:
    scripted.script(scripted.completion('{"ok"', ": true}"))
    assert await backend_for(scripted).generate(REQUEST) == '{"ok": true}'


@pytest.mark.parametrize("variable", ["INTERVIEW_ENGINE_OPENAI_API_KEY", "OPENAI_API_KEY"])
async def test_api_key_falls_back_to_the_environment(
    scripted: Any, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv("INTERVIEW_ENGINE_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv(variable, "sk-env")
    await backend_for(scripted).generate(REQUEST)
    assert scripted.requests[0]["headers"]["Authorization"] == "Bearer sk-env"
    assert "sk-env" not in repr(OpenAICompatOptions())


async def test_no_key_no_model_no_seed_are_left_out(scripted: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INTERVIEW_ENGINE_OPENAI_API_KEY", "OPENAI_API_KEY", "INTERVIEW_ENGINE_OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    await backend_for(scripted).generate(REQUEST.model_copy(update={"seed": None}))
    sent = scripted.requests[0]
    assert "Authorization" not in sent["headers"]
    assert not {"model", "seed", "response_format"} & set(sent["json"])


async def test_429_is_retried_after_the_servers_retry_after(scripted: Any) -> None:
    scripted.script(scripted.error(429, "slow down", retry_after="1"), scripted.completion("fine"))
    started = time.perf_counter()
    assert await backend_for(scripted).generate(REQUEST) == "fine"
    assert time.perf_counter() - started >= 1.0
    assert len(scripted.requests) == 2


async def test_5xx_are_retried_with_growing_backoff(scripted: Any) -> None:
    scripted.script(scripted.error(500, "boom"), scripted.error(502, "bad gateway"), scripted.error(503, "busy"),
                    scripted.completion("recovered"))
    started = time.perf_counter()
    assert await backend_for(scripted).generate(REQUEST) == "recovered"
    assert time.perf_counter() - started >= (0.05 + 0.1 + 0.2) / 2  # jitter keeps at least half of each
    assert len(scripted.requests) == 4


async def test_a_stalled_server_is_retried_after_the_timeout(scripted: Any) -> None:
    scripted.script(scripted.Reply(delay=1.0, events=["[DONE]"]), scripted.completion("second try"))
    assert await backend_for(scripted, timeout=0.3).generate(REQUEST) == "second try"
    assert len(scripted.requests) == 2


async def test_a_429_storm_beyond_the_retry_budget_fails_typed(scripted: Any) -> None:
    scripted.default = scripted.error(429, "rate limited", retry_after="0")
    with pytest.raises(ProviderError) as raised:
        await backend_for(scripted, max_retries=2).generate(REQUEST)
    message = str(raised.value)
    assert "429" in message and "gave up after 3 attempts" in message and "\n" not in message
    assert len(scripted.requests) == 3


async def test_a_retry_after_longer_than_max_backoff_fails_at_once(scripted: Any) -> None:
    scripted.script(scripted.error(429, "come back later", retry_after="120"))
    with pytest.raises(ProviderError, match="asks to retry after 120 s, more than max_backoff_s=30"):
        await backend_for(scripted).generate(REQUEST)
    assert len(scripted.requests) == 1


async def test_an_endpoint_that_is_down_fails_fast_with_one_line(down_url: str) -> None:
    backend = OpenAICompatBackend(OpenAICompatOptions(base_url=down_url, max_retries=1, backoff_s=0.05))
    started = time.perf_counter()
    with pytest.raises(ProviderError, match=r"is unreachable \(ConnectError") as raised:
        await backend.generate(REQUEST)
    assert "gave up after 2 attempts" in str(raised.value) and "\n" not in str(raised.value)
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(("status", "message"), [
    (401, "refused the API key"), (403, "refused the API key"), (404, "check base_url"),
    (400, "rejected the request"),
])
async def test_client_errors_are_not_retried(scripted: Any, status: int, message: str) -> None:
    scripted.script(scripted.error(status, "nope"))
    with pytest.raises(ProviderError, match=message):
        await backend_for(scripted).generate(REQUEST)
    assert len(scripted.requests) == 1


async def test_json_format_steps_down_until_the_server_accepts_it(scripted: Any) -> None:
    scripted.script(scripted.error(400, "response_format json_schema is not supported"),
                    scripted.error(422, "unknown field response_format.schema"),
                    scripted.completion('{"ok": true}'), scripted.completion('{"ok": false}'))
    backend = backend_for(scripted)
    with_schema = REQUEST.model_copy(update={"json_schema": SCHEMA})
    assert await backend.generate(with_schema) == '{"ok": true}'
    formats = [r["json"].get("response_format") for r in scripted.requests]
    assert formats == [{"type": "json_schema", "json_schema": {"name": "output", "schema": SCHEMA}},
                       {"type": "json_object", "schema": SCHEMA}, None]
    assert backend.response_format == "none"
    await backend.generate(with_schema)
    assert "response_format" not in scripted.requests[-1]["json"], "the working format is remembered"


async def test_a_fixed_json_format_that_is_rejected_is_an_error(scripted: Any) -> None:
    scripted.script(scripted.error(400, "response_format json_schema is not supported"))
    backend = backend_for(scripted, response_format="json_schema")
    with pytest.raises(ProviderError, match="set response_format to auto"):
        await backend.generate(REQUEST.model_copy(update={"json_schema": SCHEMA}))


async def test_an_error_event_mid_stream_is_a_provider_error(scripted: Any) -> None:
    scripted.script(scripted.Reply(events=['{"choices": [{"delta": {"content": "par"}}]}',
                                           '{"error": {"message": "model crashed"}}']))
    with pytest.raises(ProviderError, match="failed mid-stream: model crashed"):
        await backend_for(scripted).generate(REQUEST)


async def test_an_unreadable_event_is_a_provider_error(scripted: Any) -> None:
    scripted.script(scripted.Reply(events=["<html>oops</html>"]))
    with pytest.raises(ProviderError, match="unexpected event"):
        await backend_for(scripted).generate(REQUEST)


async def test_a_cancelled_stream_hangs_up_on_the_server(scripted: Any) -> None:
    endless = [f'{{"choices": [{{"delta": {{"content": "{i} "}}}}]}}' for i in range(200)]
    scripted.script(scripted.Reply(events=endless, gap=0.05))
    async with aclosing(backend_for(scripted).stream(REQUEST)) as chunks:
        async for _ in chunks:
            break
    with anyio.fail_after(5):
        while not scripted.hung_up.is_set():
            await anyio.sleep(0.05)


@pytest.mark.parametrize(("options", "message"), [
    ({"base_url": "127.0.0.1:8000"}, "base_url"),
    ({"timeout": 0}, "timeout"),
    ({"response_format": "xml"}, "response_format"),
    ({"temperature_bias": 1}, "temperature_bias"),
])
async def test_bad_options_are_configuration_errors(registry: Any, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=f"invalid openai_compat options: {message}"):
        registry.create("evaluator", "openai_compat", options)


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert parse_retry_after("2") == 2.0 and parse_retry_after(" 0.5 ") == 0.5
    assert 55 < (parse_retry_after(in_a_minute) or 0) <= 60
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    backoff = Backoff(retries=6, base_s=1.0, max_s=5.0)
    for attempt, full in enumerate([1, 2, 4, 5, 5]):
        assert full / 2 <= backoff.delay(attempt) <= full
    assert backoff.delay(3, retry_after=0.25) == 0.25


def test_literals_that_break_grammar_converters_are_left_out() -> None:
    schema = {"type": "object", "required": ["quotes"], "properties": {
        "quotes": {"type": "array", "items": {"enum": ['said "hi"', "plain", "back\\slash"]}, "maxItems": 2},
        "all_unsafe": {"anyOf": [{"enum": ['"a"', 'b"cd']}, {"type": "null"}]},
        "fixed": {"const": 'x "y"'},
        "enum": {"type": "integer", "enum": [1, 2]},
    }}
    assert without_unsafe_literals(schema) == {"type": "object", "required": ["quotes"], "properties": {
        "quotes": {"type": "array", "items": {"enum": ["plain"]}, "maxItems": 2},
        "all_unsafe": {"anyOf": [{"type": "string", "maxLength": 4}, {"type": "null"}]},
        "fixed": {"type": "string", "maxLength": 5},
        "enum": {"type": "integer", "enum": [1, 2]},
    }}
    assert schema["properties"]["quotes"]["items"]["enum"][0] == 'said "hi"', "the caller's schema is untouched"


async def test_the_schema_sent_has_no_unsafe_literals(scripted: Any) -> None:
    schema = {"type": "object", "properties": {"q": {"enum": ['a "b"', "c"]}}, "required": ["q"]}
    await backend_for(scripted).generate(REQUEST.model_copy(update={"json_schema": schema}))
    sent = scripted.requests[0]["json"]["response_format"]["json_schema"]["schema"]
    assert sent["properties"]["q"] == {"enum": ["c"]}


def _logprob_event(token: str, alternatives: dict[str, float], raw: bytes | None = None) -> str:
    entry = {"token": token, "logprob": alternatives.get(token, -9.0), "bytes": None if raw is None else list(raw),
             "top_logprobs": [{"token": t, "logprob": lp, "bytes": None} for t, lp in alternatives.items()]}
    return json.dumps({"choices": [{"index": 0, "delta": {"content": token}, "logprobs": {"content": [entry]}}]})


async def test_logprobs_are_asked_for_and_collected_with_byte_offsets(scripted: Any) -> None:
    han = "한".encode()
    events = [_logprob_event("{", {"{": -0.1}), _logprob_event("", {}, han[:2]),  # one character in two tokens
              _logprob_event("한", {"한": -0.5}, han[2:]), _logprob_event("4", {"4": -0.4, "3": -1.2})]
    scripted.script(scripted.Reply(events=[*events, "[DONE]"]))
    completion = await backend_for(scripted).generate_with_logprobs(REQUEST, 3)
    assert scripted.requests[0]["json"]["logprobs"] is True and scripted.requests[0]["json"]["top_logprobs"] == 3
    assert completion.text == "{한4"
    assert [(t.offset, t.text) for t in completion.tokens] == [(0, "{"), (1, ""), (1, "한"), (2, "4")]
    assert completion.tokens[-1].top == {"4": -0.4, "3": -1.2}


async def test_a_server_without_logprobs_gives_a_completion_without_tokens(scripted: Any) -> None:
    scripted.script(scripted.completion("fi", "ne"), scripted.completion("fine"))
    completion = await backend_for(scripted).generate_with_logprobs(REQUEST, 3)
    assert completion.model_dump() == {"text": "fine", "tokens": []}
    switched_off = await backend_for(scripted, logprobs=False).generate_with_logprobs(REQUEST, 3)
    assert switched_off.text == "fine" and "logprobs" not in scripted.requests[-1]["json"]


async def test_malformed_logprobs_are_a_provider_error(scripted: Any) -> None:
    event = json.dumps({"choices": [{"delta": {"content": "x"}, "logprobs": {"content": [{"logprob": -1}]}}]})
    scripted.script(scripted.Reply(events=[event, "[DONE]"]))
    with pytest.raises(ProviderError, match="unexpected logprobs"):
        await backend_for(scripted).generate_with_logprobs(REQUEST, 3)
