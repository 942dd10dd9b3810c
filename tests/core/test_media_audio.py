"""PCM framing: resampling, channel mixing, sample formats and rejection of what is not audio."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from interview_engine.errors import InvalidAudio
from interview_engine.media.audio import (
    PcmConverter,
    PcmFormat,
    aligned_pcm16,
    convert,
    read_wav,
    wav_bytes,
)


def tone(freq: float, rate: int, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def s16(x: np.ndarray) -> bytes:
    return (x * 32767).astype("<i2").tobytes()


def as_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, "<i2").astype(np.float64) / 32768


def peak_hz(x: np.ndarray, rate: int = 16000) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x * x)))


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_resampling_keeps_pitch_length_and_level(rate: int) -> None:
    out = as_float(convert(s16(tone(1000, rate)), PcmFormat(rate)))
    assert abs(len(out) - 16000) <= 1
    assert abs(peak_hz(out) - 1000) < 5
    middle = out[400:-400]
    assert rms(middle) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_downsampling_filters_out_what_16k_cannot_hold() -> None:
    out = as_float(convert(s16(tone(12000, 48000)), PcmFormat(48000)))
    assert rms(out[100:-100]) < 0.005, "a 12 kHz tone must not alias into the 16 kHz output"


def test_chunked_stream_equals_whole_recording() -> None:
    rng = np.random.default_rng(1)
    pcm = s16(rng.uniform(-0.5, 0.5, 44100 * 2 * 2)) # two seconds, stereo
    fmt = PcmFormat(44100, channels=2)
    whole = convert(pcm, fmt)
    converter = PcmConverter(fmt)
    sizes = rng.integers(1, 5000, size=10_000)
    parts, at = [], 0
    for size in sizes:
        if at >= len(pcm):
            break
        parts.append(converter.feed(pcm[at:at + size]))
        at += size
    parts.append(converter.flush())
    assert b"".join(parts) == whole


def test_channels_are_mixed_to_mono() -> None:
    left = tone(440, 16000)
    stereo = np.stack([left, np.zeros_like(left)], axis=1).ravel()
    out = as_float(convert(s16(stereo), PcmFormat(16000, channels=2)))
    assert rms(out) == pytest.approx(rms(left) / 2, rel=0.01)
    opposite = np.stack([left, -left], axis=1).ravel()
    assert rms(as_float(convert(s16(opposite), PcmFormat(16000, channels=2)))) < 1e-3


def test_float_input() -> None:
    x = tone(500, 32000).astype("<f4")
    out = as_float(convert(x.tobytes(), PcmFormat(32000, sample_format="f32le")))
    assert abs(len(out) - 16000) <= 1 and abs(peak_hz(out) - 500) < 5


def test_16k_mono_passes_through_unchanged() -> None:
    pcm = s16(tone(300, 16000))
    assert convert(pcm, PcmFormat()) == pcm


def _wav(x: np.ndarray, rate: int, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(s16(x))
    return out.getvalue()


def test_read_wav_converts_to_16k_mono() -> None:
    out = as_float(read_wav(_wav(tone(800, 44100, 0.5), 44100)))
    assert abs(len(out) - 8000) <= 1 and abs(peak_hz(out) - 800) < 5
    pcm = s16(tone(200, 16000, 0.1))
    assert read_wav(wav_bytes(pcm)) == pcm


@pytest.mark.parametrize(("data", "fmt", "message"), [
    (b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(100), PcmFormat(), "WAV"),
    (b'{"type": "KeepAlive", "hello": "world"}', PcmFormat(), "text"),
    (b"OggS" + bytes(60), PcmFormat(48000, 2), "Ogg"),
    (np.array([np.nan, 0.1], "<f4").tobytes(), PcmFormat(sample_format="f32le"), "not finite"),
    (np.array([1e30, 0.1], "<f4").tobytes(), PcmFormat(sample_format="f32le"), "outside"),
    (bytes(3), PcmFormat(48000, channels=2), "middle of a sample frame"),
], ids=["wav-as-pcm", "text", "ogg", "nan-float", "huge-float", "partial-frame"])
def test_bytes_that_are_not_audio_are_invalid(data: bytes, fmt: PcmFormat, message: str) -> None:
    with pytest.raises(InvalidAudio, match=message):
        convert(data, fmt)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sample_rate": 0}, "sample rate"),
    ({"sample_rate": 1_000_000}, "sample rate"),
    ({"sample_rate": 44100.0}, "sample rate"),
    ({"channels": 0}, "channel count"),
    ({"sample_format": "mp3"}, "sample format"),
])
def test_impossible_formats_are_invalid(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidAudio, match=message):
        PcmFormat(**kwargs)  # type: ignore[arg-type]


def test_declared_rate_that_disagrees_with_the_file_is_invalid() -> None:
    with pytest.raises(InvalidAudio, match="says 44100 Hz but 16000 Hz was declared"):
        read_wav(_wav(tone(800, 44100, 0.1), 44100), expect_rate=16000)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "zero-length"), (b"\x00\x01" * 50, "not a WAV"), (b"RIFF" + bytes(40), "unreadable"),
])
def test_bad_recordings_are_invalid(data: bytes, message: str) -> None:
    with pytest.raises(InvalidAudio, match=message):
        read_wav(data)


def test_zero_length_stream_converts_to_nothing() -> None:
    assert convert(b"", PcmFormat(48000, 2)) == b""


@pytest.mark.anyio
async def test_aligned_pcm16_rechunks_and_rejects_a_dangling_byte() -> None:
    async def chunks(*parts: bytes):  # type: ignore[no-untyped-def]
        for part in parts:
            yield part

    rechunked = [c async for c in aligned_pcm16(chunks(b"\x01", b"\x02\x03", b"\x04"))]
    assert rechunked == [b"\x01\x02", b"\x03\x04"]
    with pytest.raises(InvalidAudio, match="odd number"):
        _ = [c async for c in aligned_pcm16(chunks(bytes(3200), b"\x00"))]
    with pytest.raises(InvalidAudio, match="WAV"):
        _ = [c async for c in aligned_pcm16(chunks(wav_bytes(bytes(100))))]
