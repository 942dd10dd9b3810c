"""Entry point module: registers the ``pocketsphinx`` transcriber; PocketSphinx loads when one is built."""

from __future__ import annotations

from typing import Any

from interview_engine import hookimpl


def _create(**options: Any) -> Any:
    from .transcriber import PocketsphinxTranscriber

    return PocketsphinxTranscriber(**options)


@hookimpl
def register_transcribers(register: Any) -> None:
    register("pocketsphinx", _create)
