"""The openai_compat providers' options, as settings give them (``evaluator_options`` and so on)."""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from interview_engine.plugin_api import ConfigurationError, validation_message

BASE_URL_ENV = "INTERVIEW_ENGINE_OPENAI_BASE_URL"
API_KEY_ENVS = ("INTERVIEW_ENGINE_OPENAI_API_KEY", "OPENAI_API_KEY")
MODEL_ENV = "INTERVIEW_ENGINE_OPENAI_MODEL"
DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"

ResponseFormat = Literal["auto", "json_schema", "json_object", "none"]


def _api_key_from_env() -> SecretStr | None:
    key = next((os.environ[name] for name in API_KEY_ENVS if os.environ.get(name)), None)
    return SecretStr(key) if key else None


class OpenAICompatOptions(BaseModel):
    """Where the server is and how patiently to talk to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: Annotated[str, Field(pattern=r"^https?://\S+$")] = Field(
        default_factory=lambda: os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    )
    """The API root, ending in ``/v1`` for most servers."""
    api_key: SecretStr | None = Field(default_factory=_api_key_from_env)
    model: str | None = Field(default_factory=lambda: os.environ.get(MODEL_ENV) or None)
    """The served model's name; left out of requests when unset (vLLM and llama.cpp use their only model)."""
    timeout: Annotated[float, Field(gt=0, le=3600)] = 120.0
    """Seconds to wait for a response, or between two streamed chunks."""
    max_retries: Annotated[int, Field(ge=0, le=10)] = 4
    """Retries after a timeout, a connection failure, a 429 or a 5xx."""
    backoff_s: Annotated[float, Field(gt=0, le=60)] = 0.5
    """The first retry's delay; each further retry doubles it (with jitter)."""
    max_backoff_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    """The longest wait between two attempts; a longer Retry-After gives up at once."""
    response_format: ResponseFormat = "auto"
    """How to ask for JSON: ``auto`` tries json_schema, then json_object with a schema, then none."""
    logprobs: bool = True
    """Ask for token log-probabilities where a caller wants them (the evaluator reads its ratings from
    them); turn off for a server that rejects ``logprobs``, and ratings are taken as sampled."""

    @classmethod
    def parse(cls, options: dict[str, Any]) -> Self:
        """Validate provider options; a bad one is a one-line ConfigurationError."""
        try:
            return cls.model_validate(options)
        except ValidationError as exc:
            raise ConfigurationError(f"invalid openai_compat options: {validation_message(exc)}") from exc
