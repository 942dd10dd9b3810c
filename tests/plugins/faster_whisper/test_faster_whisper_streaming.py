"""Spoken answers through faster_whisper: accuracy, live partials then finals, vocabulary, languages,
several streams on one model, and closing without leftovers."""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Callable

import anyio
import anyio.lowlevel
import pytest
from interview_engine_faster_whisper.transcriber import FasterWhisperTranscriber

from interview_engine.errors import TranscriptionError
from interview_engine.media.audio import PcmFormat
from interview_engine.media.audio_pipeline import AnswerEnded, AudioPipeline
from interview_engine.media.endpoint import EndpointConfig
from interview_engine.models import TranscriptEvent, TranscriptionOptions
from interview_engine.testing.conformance import gather
from interview_engine.testing.speech import ANSWERS as SENTENCES
from interview_engine.testing.speech import browser_audio, with_pause, word_error_rate, words

pytestmark = pytest.mark.anyio
EN = TranscriptionOptions(language="en")


async def paced(pcm: bytes, chunk: int, delay: float = 0.0) -> AsyncIterator[bytes]:
    for at in range(0, len(pcm), chunk):
        yield pcm[at:at + chunk]
        if delay:
            await anyio.sleep(delay)
        else:
            await anyio.lowlevel.checkpoint()


async def test_a_recording_of_several_answers_is_transcribed_almost_word_for_word(
    whisper: FasterWhisperTranscriber, say: Callable[[str], bytes]
) -> None:
    whisper.stats.peak_pending = 0
    transcript = await whisper.transcribe(with_pause(*[say(s) for s in SENTENCES], pause_s=1.0), EN)
    assert word_error_rate(SENTENCES, [s.text for s in transcript.segments]) <= 0.1, transcript.text
    assert transcript.text == " ".join(s.text for s in transcript.segments)
    ends = [0.0]
    for segment, sentence in zip(transcript.segments, SENTENCES, strict=True):
        assert ends[-1] < segment.start < segment.end and segment.confidence is not None
        assert segment.end - segment.start == pytest.approx(len(say(sentence)) / 32000, abs=0.5)
        assert segment.confidence > 0.5
        ends.append(segment.end + 1.0)
    assert whisper.stats.peak_pending <= 3, "a stream keeps at most max(2, workers) decodes waiting"


async def test_live_answer_partials_then_final_through_the_pipeline(
    whisper: FasterWhisperTranscriber, say: Callable[[str], bytes]
) -> None:
    sentence = SENTENCES[1]
    pcm = say(sentence)
    pipeline = AudioPipeline(whisper, EN, input_format=PcmFormat(48000, channels=2),
                             endpoint=EndpointConfig(silence_s=1.5))
    with anyio.fail_after(60):  # 20 ms chunks at real time, as a WebRTC track delivers them
        async with pipeline.listen(paced(browser_audio(pcm, silence_s=3.0), 3840, delay=0.02)) as events:
            seen = [e async for e in events]
    interims = [e for e in seen if isinstance(e, TranscriptEvent) and e.kind == "interim"]
    finals = [e for e in seen if isinstance(e, TranscriptEvent) and e.kind == "final"]
    ended = seen[-1]
    assert isinstance(ended, AnswerEnded) and ended.reason == "silence"
    assert interims and seen.index(interims[-1]) < seen.index(finals[0]), "partials arrive before the final"
    assert all(e.start == finals[0].start and e.text for e in interims), seen
    assert [e.end for e in interims] == sorted(e.end for e in interims)
    assert set(words(interims[-1].text)) & set(words(sentence)), interims[-1].text
    assert word_error_rate(sentence, ended.text) <= 0.1, ended.text
    [segment] = ended.segments
    speech_end = 0.1 + len(pcm) / 32000
    assert 0.1 <= segment.start < 0.5 and segment.end == pytest.approx(speech_end, abs=0.3)  # flite's lead-in
    assert segment.confidence is not None and 0.5 < segment.confidence <= 1
    assert pipeline.stats.dropped_chunks == 0


async def test_vocabulary_becomes_the_prompt(whisper: FasterWhisperTranscriber, say: Callable[[str], bytes]) -> None:
    pcm = say("we run the jobs on kubernetes and store the results in postgres")
    plain = await whisper.transcribe(pcm, EN)
    tuned = await whisper.transcribe(pcm, TranscriptionOptions(vocabulary=["Kubernetes", "PostgreSQL"]))
    assert "kubernetes" not in words(plain.text), plain.text
    assert "Kubernetes" in tuned.text and "PostgreSQL" in tuned.text, tuned.text
    assert whisper.prompt(["Kubernetes", "PostgreSQL"]) == "Kubernetes, PostgreSQL."
    assert whisper.prompt([]) is None


async def test_korean_with_an_english_only_model_is_a_clear_error(whisper: FasterWhisperTranscriber) -> None:
    korean = TranscriptionOptions(language="ko")
    with pytest.raises(TranscriptionError, match=r"English-only.*multilingual.*model_dir.*deepgram"):
        await whisper.transcribe(bytes(3200), korean)
    with pytest.raises(TranscriptionError, match="English-only"):
        async for _ in whisper.stream(paced(bytes(3200), 640), korean):
            pass


async def test_several_streams_share_one_model(whisper: FasterWhisperTranscriber, say: Callable[[str], bytes]) -> None:
    clips = [say(s) + bytes(32000) for s in SENTENCES[1:]]

    async def listen(i: int) -> str:
        finals = [e.text async for e in whisper.stream(paced(clips[i], 1280, delay=0.005), EN) if e.kind == "final"]
        return " ".join(finals)

    peak_before = whisper.stats.peak_decodes
    texts = await gather(len(clips), listen)
    for sentence, text in zip(SENTENCES[1:], texts, strict=True):
        assert word_error_rate(sentence, text) <= 0.1, text
    assert whisper.stats.peak_decodes <= whisper.options.workers
    assert whisper.stats.peak_decodes >= peak_before


async def test_cancelling_and_closing_leave_no_thread(
    whisper: FasterWhisperTranscriber, say: Callable[[str], bytes]
) -> None:
    pcm = say(SENTENCES[0])
    await whisper.transcribe(pcm, EN)  # CTranslate2 starts its one process-wide thread on first use
    python_threads, os_threads = threading.active_count(), len(os.listdir("/proc/self/task"))
    transcriber = FasterWhisperTranscriber(workers=2, cpu_threads=1)
    with anyio.move_on_after(0.5):  # cancelled while the final decode runs on a worker thread
        async for _ in transcriber.stream(paced(pcm, len(pcm)), EN):
            pass
    async with anyio.create_task_group() as tg:
        tg.start_soon(transcriber.transcribe, pcm, EN)
        await anyio.sleep(0.3)
        tg.cancel_scope.cancel()
    await transcriber.aclose()
    assert threading.active_count() == python_threads
    assert len(os.listdir("/proc/self/task")) <= os_threads
    with pytest.raises(TranscriptionError, match="closed"):
        await transcriber.transcribe(pcm, EN)
    await transcriber.aclose()  # twice is harmless
