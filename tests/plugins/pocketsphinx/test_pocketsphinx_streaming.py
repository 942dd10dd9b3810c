"""Spoken answers through the streaming path: pipeline -> pocketsphinx -> key words, vocabulary, errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable

import anyio
import anyio.lowlevel
import pytest
from interview_engine_pocketsphinx.lexicon import guess, pronounce, words_of
from interview_engine_pocketsphinx.transcriber import PocketsphinxTranscriber

from interview_engine.errors import TranscriptionError
from interview_engine.media.audio import PcmFormat
from interview_engine.media.audio_pipeline import AnswerEnded, AudioPipeline
from interview_engine.media.endpoint import EndpointConfig
from interview_engine.models import TranscriptEvent, TranscriptionOptions
from interview_engine.plugins import ProviderRegistry, build_plugin_manager
from interview_engine.testing.conformance import created_lazily
from interview_engine.testing.speech import browser_audio

pytestmark = pytest.mark.anyio


async def live(data: bytes, chunk: int = 3840) -> AsyncIterator[bytes]:
    """20 ms chunks of 48 kHz stereo, as fast as the pipeline takes them."""
    for at in range(0, len(data), chunk):
        yield data[at:at + chunk]
        await anyio.lowlevel.checkpoint()


async def test_spoken_answer_through_the_pipeline(
    transcriber: PocketsphinxTranscriber, spoken_answer: bytes
) -> None:
    options = TranscriptionOptions(language="en", vocabulary=["Postgres"])
    pipeline = AudioPipeline(transcriber, options, input_format=PcmFormat(48000, channels=2),
                             endpoint=EndpointConfig(silence_s=1.2))
    with anyio.fail_after(60):
        async with pipeline.listen(live(browser_audio(spoken_answer, silence_s=4.0))) as events:
            seen = [e async for e in events]
    interims = [e for e in seen if isinstance(e, TranscriptEvent) and e.kind == "interim"]
    ended = seen[-1]
    assert isinstance(ended, AnswerEnded) and ended.reason == "silence"
    assert interims, "partial hypotheses arrive while the candidate speaks"
    words = ended.text.lower().split()
    for word in ("python", "database", "postgres"):
        assert word in words, ended.text
    assert "Postgres" in ended.text, "vocabulary terms keep the spelling the interview gave"
    speech_s = len(spoken_answer) / 32000 + 0.1
    assert ended.duration_s == pytest.approx(speech_s, abs=0.3)
    assert ended.segments and ended.segments[-1].end <= ended.duration_s + 0.5
    assert pipeline.stats.dropped_chunks == 0


async def test_vocabulary_teaches_words_the_dictionary_lacks(
    transcriber: PocketsphinxTranscriber, spoken_answer: bytes
) -> None:
    plain = await transcriber.transcribe(spoken_answer, TranscriptionOptions())
    tuned = await transcriber.transcribe(spoken_answer, TranscriptionOptions(vocabulary=["Postgres"]))
    assert "postgres" not in plain.text.lower()
    assert "Postgres" in tuned.text


async def test_recording_of_whole_vad_frames_ending_in_speech(
    transcriber: PocketsphinxTranscriber, say: Callable[[str], bytes]
) -> None:
    """Issue 10's recording: 61,920 samples (129 frames of 480) that end while the voice-activity detector
    still hears speech crashed ``transcribe`` with IndexError in ``Endpointer.end_stream``."""
    pcm = say("our team reviewed every pull request before it reached the main branch")
    pcm = (pcm + bytes(2 * 61_920))[: 2 * 61_920]
    transcript = await transcriber.transcribe(pcm, TranscriptionOptions())
    for word in ("team", "request", "branch"):
        assert word in transcript.text.split(), transcript.text


async def test_korean_is_refused_with_a_pointer_to_deepgram(transcriber: PocketsphinxTranscriber) -> None:
    with pytest.raises(TranscriptionError, match=r"English only.*deepgram"):
        await transcriber.transcribe(bytes(3200), TranscriptionOptions(language="ko"))


async def test_no_threads_or_tasks_left_after_close(say: Callable[[str], bytes]) -> None:
    tasks, threads = len(asyncio.all_tasks()), threading.active_count()
    provider = PocketsphinxTranscriber(workers=2)
    pcm = say("hello world")
    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(provider.transcribe, pcm, TranscriptionOptions())
    with anyio.move_on_after(0.05):
        async for _ in provider.stream(live(pcm, 640), TranscriptionOptions()):
            pass
    await provider.aclose()
    assert len(asyncio.all_tasks()) == tasks
    assert threading.active_count() == threads
    with pytest.raises(TranscriptionError, match="closed"):
        await provider.transcribe(pcm, TranscriptionOptions())


def test_registered_by_entry_point_and_lazy() -> None:
    registry = ProviderRegistry(build_plugin_manager(allow=["pocketsphinx"]))
    assert registry.get("transcriber", "pocketsphinx").plugin == "pocketsphinx"
    assert created_lazily("pocketsphinx", "transcriber", "pocketsphinx", {"workers": 1},
                          ["pocketsphinx"]) == "PocketsphinxTranscriber"


def test_pronunciations_for_unknown_terms() -> None:
    lexicon = {"post": "P OW S T", "gres": "G R EH S", "data": "D EY T AH", "dog": "D AO G"}
    assert guess("postgres", lexicon.get) == "P OW S T G R EH S"
    assert guess("postgresql", lexicon.get) == "P OW S T G R EH S K Y UW EH L"
    assert guess("x9", lexicon.get) is None
    assert pronounce("kubernetes", lexicon.get) == "K UW B ER N EH T IY Z"
    assert pronounce("dog", lexicon.get, {"dog": "D AA G"}) == "D AA G"
    assert words_of("Spring Boot, Node.js") == ["spring", "boot", "node", "js"]
