"""Entry point module: registers the ``deepgram`` transcriber; the Deepgram SDK loads when one is built."""

from __future__ import annotations

from typing import Any

from interview_engine.plugin_api import hookimpl, lazy_factory


@hookimpl
def register_transcribers(register: Any) -> None:
    register("deepgram", lazy_factory("interview_engine_deepgram.transcriber:DeepgramTranscriber"))
