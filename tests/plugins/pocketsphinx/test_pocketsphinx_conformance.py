"""The pocketsphinx transcriber passes the Transcriber conformance suite on flite speech."""

from __future__ import annotations

import pytest
from interview_engine_pocketsphinx.transcriber import PocketsphinxTranscriber

from interview_engine.models import TranscriptionOptions
from interview_engine.testing.conformance import TranscriberConformance


class TestPocketsphinxConformance(TranscriberConformance):
    frame_samples = 480  # PocketSphinx's voice-activity frame (30 ms)

    @pytest.fixture
    def provider(self, transcriber: PocketsphinxTranscriber) -> PocketsphinxTranscriber:
        return transcriber

    @pytest.fixture
    def speech(self, spoken_answer: bytes) -> tuple[bytes, TranscriptionOptions, list[str]]:
        options = TranscriptionOptions(language="en", vocabulary=["Postgres"])
        return spoken_answer, options, ["python", "database", "postgres"]
