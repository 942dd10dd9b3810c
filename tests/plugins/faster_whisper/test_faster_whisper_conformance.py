"""The faster_whisper transcriber passes the Transcriber conformance suite on flite speech."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from interview_engine_faster_whisper.transcriber import FasterWhisperTranscriber

from interview_engine.models import TranscriptionOptions
from interview_engine.testing.conformance import TranscriberConformance
from interview_engine.testing.speech import ANSWERS as SENTENCES


class TestFasterWhisperConformance(TranscriberConformance):
    frame_samples = 320  # the core Endpointer's 20 ms frame, which cuts the speech segments

    @pytest.fixture
    def provider(self, whisper: FasterWhisperTranscriber) -> FasterWhisperTranscriber:
        return whisper

    @pytest.fixture
    def speech(self, say: Callable[[str], bytes]) -> tuple[bytes, TranscriptionOptions, list[str]]:
        return say(SENTENCES[1]), TranscriptionOptions(language="en"), ["python", "database", "postgres"]
