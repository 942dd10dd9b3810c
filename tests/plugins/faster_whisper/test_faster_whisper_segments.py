"""SpeechSegmenter: the core's Endpointer cutting a stream into the speech segments Whisper decodes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from interview_engine_faster_whisper.segments import Segment, SpeechSegmenter

from interview_engine.media.endpoint import EndpointConfig
from interview_engine.testing.conformance import quiet_noise, voiced

RATE = 16000
CONFIG = EndpointConfig(silence_s=0.6)


def silence(seconds: float) -> bytes:
    return bytes(2 * round(RATE * seconds))


def run(pcm: bytes, chunk: int, segmenter: SpeechSegmenter | None = None) -> list[Segment]:
    segmenter = segmenter or SpeechSegmenter(CONFIG, max_segment_s=20.0)
    out: list[Segment] = []
    for at in range(0, len(pcm), chunk):
        out += segmenter.feed(pcm[at:at + chunk])
    return out + segmenter.finish()


def test_two_utterances_become_two_segments_with_their_times() -> None:
    pcm = silence(1.0) + voiced(2.0) + silence(1.5) + voiced(1.0) + silence(1.0)
    segments = run(pcm, 640)
    assert [s.id for s in segments] == [0, 1]
    first, second = segments
    assert first.start == pytest.approx(1.0, abs=0.05) and first.end == pytest.approx(3.0, abs=0.2)
    assert second.start == pytest.approx(4.5, abs=0.05) and second.end == pytest.approx(5.5, abs=0.2)
    for segment in segments:  # the audio a segment carries covers its speech, with a little before it
        assert segment.offset <= segment.start - 0.2
        assert segment.offset + segment.duration >= segment.end
        assert segment.offset + segment.duration <= segment.end + CONFIG.silence_s + 0.05


def test_any_chunking_gives_the_same_segments() -> None:
    pcm = quiet_noise(0.7) + voiced(1.3) + quiet_noise(1.0) + voiced(0.9)
    whole = run(pcm, len(pcm))
    assert [(s.start, s.end, s.audio) for s in run(pcm, 2)] == [(s.start, s.end, s.audio) for s in whole]
    assert [(s.start, s.end, s.audio) for s in run(pcm, 3202)] == [(s.start, s.end, s.audio) for s in whole]
    assert len(whole) == 2


def test_a_recording_that_ends_in_speech_is_closed_by_finish() -> None:
    segmenter = SpeechSegmenter(CONFIG, max_segment_s=20.0)
    pcm = silence(0.5) + voiced(1.5)
    assert segmenter.feed(pcm) == []
    open_segment = segmenter.open_segment()
    assert open_segment is not None and open_segment.start == pytest.approx(0.5, abs=0.05)
    [segment] = segmenter.finish()
    assert segment.offset + segment.duration == pytest.approx(2.0)
    assert segment.end == pytest.approx(2.0, abs=0.1)
    assert segmenter.finish() == [] and segmenter.open_segment() is None


def test_long_speech_is_cut_at_a_quiet_frame_and_nothing_is_lost() -> None:
    pcm = voiced(13.0)
    segments = run(pcm, 640, SpeechSegmenter(CONFIG, max_segment_s=5.0))
    assert len(segments) == 3
    assert all(s.duration <= 5.0 + 1e-9 for s in segments)
    joined = b"".join(s.audio for s in segments)
    assert joined == pcm[2 * round(segments[0].offset * RATE):]
    levels = np.frombuffer(pcm, "<i2").astype(np.float64).reshape(-1, 320)
    quiet = np.sqrt((levels ** 2).mean(axis=1)) < 1000
    for before, after in itertools.pairwise(segments):
        assert after.start == pytest.approx(before.end)
        assert quiet[round(after.offset * RATE) // 320], "cut inside a syllable"


def test_silence_and_noise_make_no_segment_and_keep_little_audio() -> None:
    segmenter = SpeechSegmenter(CONFIG, max_segment_s=20.0, preroll_s=0.5)
    for _ in range(60):
        assert segmenter.feed(quiet_noise(1.0)) == []
        assert segmenter.buffered_s <= 0.5 + CONFIG.min_speech_s + 0.02
    assert segmenter.finish() == []
    assert run(b"", 640) == [] and run(silence(0.0001), 640) == []


def test_odd_bytes_are_refused() -> None:
    from interview_engine.errors import InvalidAudio

    with pytest.raises(InvalidAudio):
        SpeechSegmenter(CONFIG, max_segment_s=20.0).feed(b"\x00\x01\x02")
