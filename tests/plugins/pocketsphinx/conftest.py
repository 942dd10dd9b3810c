"""Spoken answers synthesised offline with flite (Debian package ``flite``) and the transcriber under test."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Callable

import pytest

from interview_engine.media.audio import read_wav

SENTENCE = "I would write the service in python and keep the data in a postgres database"


@pytest.fixture(scope="session")
def say(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], bytes]:
    """Speak ``text`` with flite's 16 kHz voice; returns 16 kHz mono s16le."""
    folder = tmp_path_factory.mktemp("flite")

    def speak(text: str) -> bytes:
        wav = folder / f"{abs(hash(text))}.wav"
        subprocess.run(["flite", "-voice", "kal16", "-t", text, "-o", str(wav)], check=True, timeout=60)
        return read_wav(wav.read_bytes())

    return speak


@pytest.fixture(scope="session")
def spoken_answer(say: Callable[[str], bytes]) -> bytes:
    return say(SENTENCE)


@pytest.fixture
async def transcriber() -> AsyncIterator[object]:
    from interview_engine_pocketsphinx import PocketsphinxTranscriber

    provider = PocketsphinxTranscriber(workers=2)
    yield provider
    await provider.aclose()
