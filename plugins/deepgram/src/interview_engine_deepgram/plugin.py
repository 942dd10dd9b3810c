"""Entry point module: registers the ``deepgram`` transcriber; the SDK loads when one is built."""

from __future__ import annotations

from typing import Any

from interview_engine import hookimpl


def _create(**options: Any) -> Any:
    from .transcriber import DeepgramTranscriber

    return DeepgramTranscriber(**options)


@hookimpl
def register_transcribers(register: Any) -> None:
    register("deepgram", _create)
