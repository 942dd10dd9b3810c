"""Spoken answers synthesised offline with flite (Debian package ``flite``) and the transcriber under test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from interview_engine.testing import speech

SENTENCE = "I would write the service in python and keep the data in a postgres database"


@pytest.fixture(scope="session")
def say() -> Callable[[str], bytes]:
    """Speak ``text`` with flite's 16 kHz voice; returns 16 kHz mono s16le."""
    return speech.say


@pytest.fixture(scope="session")
def spoken_answer(say: Callable[[str], bytes]) -> bytes:
    return say(SENTENCE)


@pytest.fixture
async def transcriber() -> AsyncIterator[object]:
    from interview_engine_pocketsphinx.transcriber import PocketsphinxTranscriber

    provider = PocketsphinxTranscriber(workers=2)
    yield provider
    await provider.aclose()
