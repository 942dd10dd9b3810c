"""The transformers providers' options, as settings give them (``evaluator_options`` and so on)."""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interview_engine.plugin_api import ConfigurationError, validation_message

DEFAULT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
MODEL_ENV = "INTERVIEW_ENGINE_TRANSFORMERS_MODEL"


class TransformersOptions(BaseModel):
    """Which model to load and where. ``auto`` picks 4-bit (bitsandbytes) on CUDA when installed,
    else bfloat16 on CUDA, float32 on CPU."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(default_factory=lambda: os.environ.get(MODEL_ENV) or DEFAULT_MODEL)
    """A local model directory, or a Hugging Face model id already in the local cache."""
    device: Annotated[str, Field(pattern=r"^(auto|cpu|cuda(:\d+)?)$")] = "auto"
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    quantization: Literal["auto", "4bit", "8bit", "none"] = "auto"
    max_new_tokens: Annotated[int, Field(ge=1, le=8192)] | None = None
    """Caps every generation's length (for latency), whatever the caller asks for."""
    threads: Annotated[int, Field(ge=1, le=256)] | None = None
    """CPU threads for this model's generations (torch's default: one per core). On a shared machine one
    or two avoid the slow-down of oversubscribed OpenMP spinning."""
    cache_dir: str | None = None
    """The Hugging Face cache to look in; defaults to ``HF_HUB_CACHE``."""

    @classmethod
    def parse(cls, options: dict[str, Any]) -> Self:
        """Validate provider options; a bad one is a one-line ConfigurationError."""
        try:
            return cls.model_validate(options)
        except ValidationError as exc:
            raise ConfigurationError(f"invalid transformers options: {validation_message(exc)}") from exc
