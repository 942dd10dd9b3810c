"""Endpointing: the end of an answer from silence, with configurable duration and level thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from interview_engine.media.endpoint import EndpointConfig, Endpointer

RATE = 16000


class Track:
    """Builds a test signal: noise at a floor level with syllable-like tone bursts on top."""

    def __init__(self, noise_dbfs: float = -60.0, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.noise = 10 ** (noise_dbfs / 20)
        self.parts: list[np.ndarray] = []

    def silence(self, seconds: float) -> Track:
        self.parts.append(self.rng.normal(0, self.noise, int(RATE * seconds)))
        return self

    def speech(self, seconds: float, dbfs: float = -20.0) -> Track:
        """Syllables: 150 ms voiced bursts with 50 ms dips, like connected speech."""
        n = int(RATE * seconds)
        t = np.arange(n) / RATE
        voiced = (t % 0.2) < 0.15
        amp = 10 ** (dbfs / 20) * np.sqrt(2)
        signal = amp * np.sin(2 * np.pi * 180 * t) * voiced
        self.parts.append(signal + self.rng.normal(0, self.noise, n))
        return self

    @property
    def seconds(self) -> float:
        return sum(len(p) for p in self.parts) / RATE

    def pcm(self) -> bytes:
        return (np.clip(np.concatenate(self.parts), -1, 1) * 32767).astype("<i2").tobytes()


def run(pcm: bytes, config: EndpointConfig, chunk: int = 1234) -> dict[str, float]:
    endpointer = Endpointer(config)
    seen: dict[str, float] = {}
    for at in range(0, len(pcm), chunk):
        for event in endpointer.feed(pcm[at:at + chunk]):
            assert event.kind not in seen, "each event comes once per answer"
            seen[event.kind] = event.t
            if event.kind == "answer_ended":
                seen["detected_at"] = (at + chunk) / (2 * RATE)
    return seen


def test_answer_ends_after_the_configured_silence() -> None:
    track = Track(noise_dbfs=-55).silence(1.0).speech(2.0)
    speech_end = track.seconds
    track.silence(3.0)
    events = run(track.pcm(), EndpointConfig(silence_s=1.0))
    assert events["speech_started"] == pytest.approx(1.0, abs=0.1)
    assert events["answer_ended"] == pytest.approx(speech_end, abs=0.1)
    assert events["detected_at"] == pytest.approx(speech_end + 1.0, abs=0.15)


@pytest.mark.parametrize(("pause", "silence_s", "ends_in_pause"), [(0.6, 1.0, False), (1.4, 1.0, True)])
def test_silence_duration_threshold(pause: float, silence_s: float, ends_in_pause: bool) -> None:
    track = Track().silence(0.5).speech(1.0)
    first_end = track.seconds
    track.silence(pause).speech(1.0)
    last_end = track.seconds
    track.silence(2.0)
    events = run(track.pcm(), EndpointConfig(silence_s=silence_s))
    expected = first_end if ends_in_pause else last_end
    assert events["answer_ended"] == pytest.approx(expected, abs=0.1)


def test_adapts_to_a_loud_noise_floor() -> None:
    """Steady noise at -30 dBFS is far above the absolute minimum; only speech above it counts."""
    track = Track(noise_dbfs=-30).silence(2.0)
    assert run(track.pcm(), EndpointConfig(silence_s=0.5)) == {}
    track.speech(1.5, dbfs=-10)
    speech_end = track.seconds
    track.silence(1.5)
    events = run(track.pcm(), EndpointConfig(silence_s=1.0))
    assert events["speech_started"] == pytest.approx(2.0, abs=0.1)
    assert events["answer_ended"] == pytest.approx(speech_end, abs=0.1)


def test_noise_that_steps_up_does_not_keep_the_answer_open() -> None:
    track = Track(noise_dbfs=-60).silence(0.5).speech(1.0)
    track.noise = 10 ** (-32 / 20)   # a fan turns on as the candidate stops speaking
    track.silence(12.0)
    events = run(track.pcm(), EndpointConfig(silence_s=1.0))
    assert "answer_ended" in events
    assert events["detected_at"] < 8.0


@pytest.mark.parametrize(("margin_db", "heard"), [(12.0, False), (3.0, True)])
def test_level_threshold_above_the_floor(margin_db: float, heard: bool) -> None:
    """Speech 6 dB above the noise is ignored with a 12 dB margin and heard with a 3 dB margin."""
    track = Track(noise_dbfs=-40).silence(1.0).speech(1.0, dbfs=-34).silence(2.0)
    events = run(track.pcm(), EndpointConfig(silence_s=1.0, margin_db=margin_db))
    assert ("answer_ended" in events) is heard


def test_absolute_level_threshold() -> None:
    track = Track(noise_dbfs=-90).silence(1.0).speech(1.0, dbfs=-55).silence(2.0)
    assert run(track.pcm(), EndpointConfig(silence_s=1.0, min_level_dbfs=-50)) == {}
    assert "answer_ended" in run(track.pcm(), EndpointConfig(silence_s=1.0, min_level_dbfs=-70))


def test_a_click_does_not_start_an_answer() -> None:
    track = Track().silence(1.0).speech(0.1, dbfs=-10).silence(3.0)
    assert run(track.pcm(), EndpointConfig(silence_s=1.0, min_speech_s=0.2)) == {}


def test_invalid_settings() -> None:
    with pytest.raises(ValueError, match="invalid endpoint settings"):
        EndpointConfig(silence_s=0)
