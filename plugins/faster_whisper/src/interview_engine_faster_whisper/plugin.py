"""Entry point module: registers the ``faster_whisper`` transcriber; the model loads when one is built."""

from __future__ import annotations

from typing import Any

from interview_engine.plugin_api import hookimpl, lazy_factory


@hookimpl
def register_transcribers(register: Any) -> None:
    register("faster_whisper", lazy_factory("interview_engine_faster_whisper.transcriber:FasterWhisperTranscriber"))
