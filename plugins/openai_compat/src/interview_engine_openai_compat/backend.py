"""OpenAICompatBackend: a ChatBackend on any OpenAI-compatible ``/chat/completions`` endpoint (vLLM,
TGI, llama.cpp's server, OpenAI itself).

Completions are always streamed (server-sent events), so a caller that goes away stops the server's
generation, and ``timeout`` bounds the wait for each chunk rather than for the whole completion.
Timeouts, connection failures, 429 and 5xx are retried with bounded exponential backoff (a 429's
Retry-After is honoured); other 4xx fail at once. JSON is asked for with ``response_format``: with
``auto`` the backend starts with ``json_schema`` and steps down to ``json_object`` (with the schema, as
llama.cpp's server takes it) and then to none when the server rejects a format, remembering what works.
String literals that grammar converters choke on are left out of the schema sent (see :mod:`.compat`).
``generate_with_logprobs`` asks for ``logprobs`` and ``top_logprobs`` (unless the ``logprobs`` option
is off) and collects them from the stream (see :mod:`.logprobs`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, asynccontextmanager
from typing import Any

import anyio
import httpx

from interview_engine.plugin_api import MAX_TOP_LOGPROBS, Completion, GenerationRequest, ProviderError

from .compat import without_unsafe_literals
from .logprobs import TokenCollector
from .options import API_KEY_ENVS, OpenAICompatOptions, ResponseFormat
from .retry import Backoff, parse_retry_after
from .sse import sse_data

log = logging.getLogger(__name__)

FORMAT_FALLBACK: dict[ResponseFormat, ResponseFormat] = {"json_schema": "json_object", "json_object": "none"}
ERROR_CHARS = 200
CONNECT_TIMEOUT_S = 10.0


class _FormatRejected(Exception):
    """The server refused the request's ``response_format``."""


class OpenAICompatBackend:
    """A chat model behind an OpenAI-compatible server. Holds no connection between requests, so it
    works from any event loop; concurrent requests go to the server, which queues them."""

    def __init__(self, options: OpenAICompatOptions | None = None) -> None:
        self.options = options or OpenAICompatOptions()
        self.model_name = self.options.model or self.options.base_url
        self.response_format: ResponseFormat = (
            "json_schema" if self.options.response_format == "auto" else self.options.response_format
        )
        """The format asked for with a JSON schema; with ``auto``, the one that last worked."""
        self._url = self.options.base_url.rstrip("/") + "/chat/completions"
        self._backoff = Backoff(self.options.max_retries, self.options.backoff_s, self.options.max_backoff_s)
        self._timeout = httpx.Timeout(self.options.timeout, connect=min(self.options.timeout, CONNECT_TIMEOUT_S))
        self._ssl = httpx.create_ssl_context()
        self._headers = {"Authorization": f"Bearer {self.options.api_key.get_secret_value()}"} \
            if self.options.api_key else {}

    async def generate(self, request: GenerationRequest) -> str:
        async with aclosing(self.stream(request)) as chunks:
            return "".join([chunk async for chunk in chunks])

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]:
        async with aclosing(self._choices(request)) as choices:
            async for choice in choices:
                text = _content(choice)
                if text:
                    yield text

    async def generate_with_logprobs(self, request: GenerationRequest, top_logprobs: int) -> Completion:
        """The completion and each token's ``top_logprobs`` alternatives, as far as the server reports
        them (servers apply them before or after a ``response_format`` grammar, as they do)."""
        if not 1 <= top_logprobs <= MAX_TOP_LOGPROBS:
            raise ValueError(f"top_logprobs must be 1 to {MAX_TOP_LOGPROBS}, not {top_logprobs}")
        collector = TokenCollector()
        parts: list[str] = []
        asked = top_logprobs if self.options.logprobs else 0
        async with aclosing(self._choices(request, asked)) as choices:
            async for choice in choices:
                parts.append(_content(choice))
                collector.feed(choice.get("logprobs"))
        return Completion(text="".join(parts), tokens=collector.tokens)

    async def aclose(self) -> None:
        """Nothing to release: no connection outlives a request."""

    async def _choices(self, request: GenerationRequest, top_logprobs: int = 0) -> AsyncGenerator[dict[str, Any], None]:
        """The first choice of each streamed chunk that has one."""
        async with self._response(request, top_logprobs) as response:
            try:
                async for data in sse_data(response.aiter_lines()):
                    if data.strip() == "[DONE]":
                        return
                    choice = _first_choice(data, self._url)
                    if choice is not None:
                        yield choice
            except httpx.HTTPError as exc:
                raise ProviderError(f"the stream from {self._url} broke off: {_describe(exc)}") from exc

    @asynccontextmanager
    async def _response(self, request: GenerationRequest, top_logprobs: int) -> AsyncIterator[httpx.Response]:
        """A successful response to ``request`` (body unread), in a format the server accepts."""
        async with httpx.AsyncClient(timeout=self._timeout, verify=self._ssl, headers=self._headers) as client:
            while True:
                form = self.response_format if request.json_schema is not None else "none"
                try:
                    response = await self._send(client, self._payload(request, form, top_logprobs), form)
                except _FormatRejected as exc:
                    if self.options.response_format != "auto":
                        raise ProviderError(
                            f"{self._url} rejected response_format {form} ({exc}); set response_format to auto"
                        ) from exc
                    self.response_format = FORMAT_FALLBACK[form]
                    log.info("%s rejected response_format %s; trying %s", self._url, form, self.response_format)
                    continue
                try:
                    yield response
                finally:
                    await response.aclose()
                return

    def _payload(self, request: GenerationRequest, form: ResponseFormat, top_logprobs: int) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "messages": [m.model_dump() for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": True,
        }
        if self.options.model:
            payload["model"] = self.options.model
        if request.seed is not None:
            payload["seed"] = request.seed
        if top_logprobs:
            payload.update(logprobs=True, top_logprobs=top_logprobs)
        schema = without_unsafe_literals(request.json_schema)
        if form == "json_schema":
            payload["response_format"] = {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
        elif form == "json_object":
            payload["response_format"] = {"type": "json_object", "schema": schema}
        return payload

    async def _send(self, client: httpx.AsyncClient, payload: dict[str, Any], form: ResponseFormat) -> httpx.Response:
        """POST with retries; the first 2xx response, unread. Raises ProviderError when retries run out or
        the server refuses the request, _FormatRejected when it refuses the format."""
        attempts = self._backoff.retries + 1
        for attempt in range(attempts):
            retry_after: float | None = None
            try:
                response = await client.send(client.build_request("POST", self._url, json=payload), stream=True)
            except httpx.TimeoutException:
                failure = f"gave no response within {self.options.timeout:g} s"
            except httpx.TransportError as exc:
                failure = f"is unreachable ({_describe(exc)})"
            else:
                if response.is_success:
                    return response
                body = (await response.aread()).decode("utf-8", errors="replace")
                await response.aclose()
                status, message = response.status_code, _error_message(body)
                if form != "none" and status in (400, 422, 500) and _mentions_format(body):
                    raise _FormatRejected(f"{status}: {message}")
                if status != 429 and status < 500:
                    raise ProviderError(_refusal(self._url, status, message))
                failure = f"answered {status} ({message})"
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                if retry_after is not None and retry_after > self.options.max_backoff_s:
                    raise ProviderError(f"{self._url} {failure} and asks to retry after {retry_after:g} s, "
                                        f"more than max_backoff_s={self.options.max_backoff_s:g}")
            if attempt + 1 < attempts:
                delay = self._backoff.delay(attempt, retry_after)
                log.warning("%s %s; retry %d of %d in %.2f s", self._url, failure, attempt + 1, attempts - 1, delay)
                await anyio.sleep(delay)
        raise ProviderError(f"OpenAI-compatible server {self._url} {failure}; gave up after {attempts} attempts "
                            "(check base_url and that the server is up)")


def _first_choice(data: str, url: str) -> dict[str, Any] | None:
    """The event's first choice (with a ``delta`` object), or None when it has none."""
    try:
        event = json.loads(data)
    except ValueError as exc:
        raise ProviderError(f"unexpected event from {url}: {_snippet(data)}") from exc
    if isinstance(event, dict) and "error" in event:
        raise ProviderError(f"{url} failed mid-stream: {_error_message(data)}")
    try:
        choices = event["choices"]
        if not choices:
            return None
        choice: dict[str, Any] = choices[0]
        if not isinstance(choice["delta"], dict):
            raise TypeError("delta is not an object")
        return choice
    except (KeyError, IndexError, TypeError) as exc:
        raise ProviderError(f"unexpected event from {url}: {_snippet(data)}") from exc


def _content(choice: dict[str, Any]) -> str:
    return str(choice["delta"].get("content") or "")


def _error_message(body: str) -> str:
    """The human part of an error body: OpenAI's ``error.message``, FastAPI's ``detail``, or the text."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return _snippet(body)
    if isinstance(parsed, dict):
        error = parsed.get("error", parsed.get("detail", parsed.get("message", parsed)))
        if isinstance(error, dict):
            error = error.get("message", error)
        return _snippet(str(error))
    return _snippet(body)


def _mentions_format(body: str) -> bool:
    lowered = body.lower()
    return "response_format" in lowered or "json_schema" in lowered


def _refusal(url: str, status: int, message: str) -> str:
    if status in (401, 403):
        return f"{url} refused the API key ({status}: {message}); set api_key or {API_KEY_ENVS[0]}"
    if status == 404:
        return f"{url} was not found ({status}: {message}); check base_url (usually ending in /v1) and model"
    return f"{url} rejected the request ({status}: {message})"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _snippet(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= ERROR_CHARS else one_line[: ERROR_CHARS - 1] + "…"
