"""Structured generation: decode under a JSON schema, validate with pydantic, retry a bounded number of
times (a little warmer each time, so a deterministic model does not repeat the same mistake)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import ProviderError
from .backend import ChatBackend, ChatMessage, Completion, GenerationRequest, LogprobBackend

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

DEFAULT_ATTEMPTS = 3
RETRY_TEMPERATURE_STEP = 0.3
_FENCED_JSON = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(text: str) -> str:
    """The JSON document in a completion, tolerating a markdown fence or chatter around it (backends
    that cannot constrain decoding produce both)."""
    match = _FENCED_JSON.search(text)
    if match:
        text = match.group(1)
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        return text.strip()
    start = min(starts)
    end = max(text.rfind("}"), text.rfind("]"))
    return text[start : end + 1] if end > start else text[start:]


def parse_output(text: str, output: type[M]) -> M:
    """Validate a completion as ``output``; raises ValueError with a short reason."""
    try:
        return output.model_validate_json(extract_json(text))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ValueError(f"{where + ': ' if where else ''}{err['msg']}") from exc


def attempt_request(
    messages: list[ChatMessage],
    schema: dict[str, Any],
    *,
    attempt: int,
    temperature: float,
    max_tokens: int,
    seed: int | None,
) -> GenerationRequest:
    """The request for retry number ``attempt`` (0-based): warmer and with another seed each time."""
    return GenerationRequest(
        messages=messages,
        json_schema=schema,
        max_tokens=max_tokens,
        temperature=min(2.0, temperature + attempt * RETRY_TEMPERATURE_STEP),
        seed=None if seed is None else seed + attempt,
    )


async def generate_structured(
    backend: ChatBackend,
    messages: list[ChatMessage],
    schema: dict[str, Any],
    output: type[M],
    **options: Any,
) -> M:
    """``complete_structured`` (same keyword options) without the completion: generate and validate
    ``output`` (and ``check`` it, which raises ValueError on a bad result); after ``attempts`` invalid
    outputs raise ``error`` naming ``what`` and the last reason. Backend failures are re-raised as
    ``error`` too."""
    result, _ = await complete_structured(backend, messages, schema, output, **options)
    return result


async def complete_structured(
    backend: ChatBackend,
    messages: list[ChatMessage],
    schema: dict[str, Any],
    output: type[M],
    *,
    what: str,
    error: type[ProviderError],
    attempts: int = DEFAULT_ATTEMPTS,
    temperature: float = 0.0,
    max_tokens: int = 512,
    seed: int | None = None,
    check: Callable[[M], None] | None = None,
    top_logprobs: int = 0,
) -> tuple[M, Completion]:
    """Generate and validate ``output`` as ``generate_structured`` does, also returning the completion
    the result was parsed from. With
    ``top_logprobs`` and a LogprobBackend, its tokens carry that many alternatives each; otherwise it
    has no tokens."""
    reason = "no attempt made"
    for attempt in range(attempts):
        request = attempt_request(
            messages, schema, attempt=attempt, temperature=temperature, max_tokens=max_tokens, seed=seed
        )
        try:
            if top_logprobs and isinstance(backend, LogprobBackend):
                completion = await backend.generate_with_logprobs(request, top_logprobs)
            else:
                completion = Completion(text=await backend.generate(request), tokens=[])
        except ProviderError as exc:
            raise error(f"{what}: {exc}") from exc
        try:
            result = parse_output(completion.text, output)
            if check is not None:
                check(result)
            return result, completion
        except ValueError as exc:
            reason = str(exc)
            log.warning(
                "%s: invalid model output (attempt %d of %d): %s", what, attempt + 1, attempts, reason
            )
    raise error(f"{what}: the model gave invalid output {attempts} times (last: {reason})")


class ItemScanner:
    """Finds complete objects inside the first JSON array of a growing text, as they close.

    Feed it the text of a streamed completion chunk by chunk; ``feed`` returns the items completed by
    that chunk (objects that do not parse are skipped). Strings and escapes are tracked, so braces in
    question text do not confuse it.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._array_depth: int | None = None
        self._in_string = False
        self._escaped = False
        self._item: list[str] | None = None

    def feed(self, chunk: str) -> list[Any]:
        done: list[Any] = []
        for char in chunk:
            if self._item is not None:
                self._item.append(char)
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif char == "\\":
                    self._escaped = True
                elif char == '"':
                    self._in_string = False
                continue
            if char == '"':
                self._in_string = True
            elif char in "[{":
                self._depth += 1
                if char == "[" and self._array_depth is None:
                    self._array_depth = self._depth
                elif char == "{" and self._array_depth is not None and self._depth == self._array_depth + 1:
                    self._item = ["{"]
            elif char in "]}":
                if char == "}" and self._item is not None and self._depth == self._array_depth + 1:  # type: ignore[operator]
                    done.extend(self._parse("".join(self._item)))
                    self._item = None
                self._depth -= 1
        return done

    @staticmethod
    def _parse(text: str) -> list[Any]:
        try:
            return [json.loads(text)]
        except ValueError:
            log.debug("skipping an item that is not JSON: %.80s", text)
            return []
