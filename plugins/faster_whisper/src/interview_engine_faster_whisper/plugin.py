"""Entry point module: registers the ``faster_whisper`` transcriber; the model loads when one is built."""

from __future__ import annotations

from typing import Any

from interview_engine import hookimpl


def _create(**options: Any) -> Any:
    from .transcriber import FasterWhisperTranscriber

    return FasterWhisperTranscriber(**options)


@hookimpl
def register_transcribers(register: Any) -> None:
    register("faster_whisper", _create)
