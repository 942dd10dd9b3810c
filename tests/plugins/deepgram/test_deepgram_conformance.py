"""The deepgram transcriber passes the Transcriber conformance suite against the fake server."""

from __future__ import annotations

import pytest
from interview_engine_deepgram.testing import FakeDeepgram
from interview_engine_deepgram.transcriber import DeepgramTranscriber

from interview_engine.models import TranscriptionOptions
from interview_engine.testing.conformance import TranscriberConformance

ANSWER_KO = "user_id 컬럼에 인덱스를 추가하고 실행 계획을 확인하겠습니다"


class TestDeepgramConformance(TranscriberConformance):
    @pytest.fixture
    def provider(self, deepgram: DeepgramTranscriber) -> DeepgramTranscriber:
        return deepgram

    @pytest.fixture
    def speech(self, server: FakeDeepgram) -> tuple[bytes, TranscriptionOptions, list[str]]:
        return server.speech(ANSWER_KO), TranscriptionOptions(language="ko"), ["인덱스를", "확인하겠습니다"]
