"""PCM framing: audio of any rate, channel count and sample format becomes 16 kHz mono s16le.

Resampling is a windowed-sinc polyphase filter that keeps its state between chunks, so a stream cut
into chunks of any size gives the same samples as the whole recording converted at once. Bytes that are
not audio in the declared format raise :class:`~interview_engine.errors.InvalidAudio`.
"""

from __future__ import annotations

import io
import logging
import math
import wave
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ..errors import InvalidAudio

log = logging.getLogger(__name__)

TARGET_RATE = 16_000
"""The rate every Transcriber receives."""
MIN_RATE, MAX_RATE = 4_000, 384_000
MAX_CHANNELS = 32

SampleFormat = Literal["s16le", "f32le"]
_WIDTH: dict[SampleFormat, int] = {"s16le": 2, "f32le": 4}
_DTYPE: dict[SampleFormat, str] = {"s16le": "<i2", "f32le": "<f4"}

_CONTAINERS: tuple[tuple[bytes, str], ...] = (
    (b"RIFF", "a WAV/RIFF file"),
    (b"OggS", "an Ogg file"),
    (b"fLaC", "a FLAC file"),
    (b"ID3", "an MP3 file"),
    (b"\x1aE\xdf\xa3", "a WebM/Matroska file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
)


@dataclass(frozen=True)
class PcmFormat:
    """What raw PCM bytes are: samples per second, interleaved channels, sample encoding."""

    sample_rate: int = TARGET_RATE
    channels: int = 1
    sample_format: SampleFormat = "s16le"

    def __post_init__(self) -> None:
        if not isinstance(self.sample_rate, int) or not MIN_RATE <= self.sample_rate <= MAX_RATE:
            raise InvalidAudio(f"sample rate {self.sample_rate!r} Hz is outside {MIN_RATE}..{MAX_RATE}")
        if not isinstance(self.channels, int) or not 1 <= self.channels <= MAX_CHANNELS:
            raise InvalidAudio(f"channel count {self.channels!r} is not between 1 and {MAX_CHANNELS}")
        if self.sample_format not in _WIDTH:
            raise InvalidAudio(f"sample format {self.sample_format!r} is not one of {sorted(_WIDTH)}")

    @property
    def frame_bytes(self) -> int:
        """Bytes per sample frame (one sample of every channel)."""
        return _WIDTH[self.sample_format] * self.channels

    def seconds(self, n_bytes: int) -> float:
        return n_bytes / (self.frame_bytes * self.sample_rate)


PCM16K = PcmFormat()
"""16 kHz mono s16le: the format Transcribers take."""


def pcm16k_seconds(n_bytes: int) -> float:
    """Duration of ``n_bytes`` of 16 kHz mono s16le."""
    return n_bytes / (2 * TARGET_RATE)


def sniff_not_pcm(data: bytes) -> str | None:
    """Name what ``data`` is when its start shows it is a container, an image or text, not raw PCM."""
    for magic, name in _CONTAINERS:
        if data.startswith(magic):
            return name
    head = data[:64]
    if len(head) >= 16 and all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return "text"
    return None


class _Resampler:
    """Streaming rational-ratio resampler (windowed-sinc, polyphase) from ``rate_in`` to ``rate_out``."""

    ZEROS = 16
    """Zero crossings of the sinc on each side, at the lower of the two rates."""

    def __init__(self, rate_in: int, rate_out: int) -> None:
        g = math.gcd(rate_in, rate_out)
        self.up, self.down = rate_out // g, rate_in // g
        cutoff = min(1.0, rate_out / rate_in) * 0.97
        self.half = math.ceil(self.ZEROS / cutoff)
        taps = np.arange(-self.half + 1, self.half + 1)
        phases = np.arange(self.up) / self.up
        dist = taps[None, :] - phases[:, None]
        window = 0.5 + 0.5 * np.cos(np.pi * np.clip(dist / self.half, -1.0, 1.0))
        table = cutoff * np.sinc(cutoff * dist) * window
        self.table = (table / table.sum(axis=1, keepdims=True)).astype(np.float32)
        self.taps = taps
        self.buf = np.zeros(self.half - 1, dtype=np.float32)
        self.buf_start = -(self.half - 1)
        self.next_out = 0
        self.total_in = 0

    def process(self, x: npt.NDArray[np.float32], *, final: bool = False) -> npt.NDArray[np.float32]:
        self.buf = np.concatenate([self.buf, x])
        self.total_in += len(x)
        if final:
            self.buf = np.concatenate([self.buf, np.zeros(self.half, dtype=np.float32)])
            last = -(-self.total_in * self.up // self.down)
        else:
            last = None
        available_end = self.buf_start + len(self.buf)
        k = np.arange(self.next_out, self._limit(available_end, last), dtype=np.int64)
        if len(k) == 0:
            return np.zeros(0, dtype=np.float32)
        base = (k * self.down) // self.up
        phase = (k * self.down) % self.up
        idx = base[:, None] + self.taps[None, :] - self.buf_start
        out: npt.NDArray[np.float32] = np.einsum("ij,ij->i", self.buf[idx], self.table[phase])
        self.next_out = int(k[-1]) + 1
        keep_from = (self.next_out * self.down) // self.up - self.half + 1 - self.buf_start
        self.buf = self.buf[max(keep_from, 0):]
        self.buf_start += max(keep_from, 0)
        return out.astype(np.float32, copy=False)

    def _limit(self, available_end: int, last: int | None) -> int:
        """One past the last output index whose taps all lie in the buffer (capped at ``last``)."""
        limit = ((available_end - self.half) * self.up - 1) // self.down + 1
        return limit if last is None else min(limit, last)


class PcmConverter:
    """Turns a stream of PCM chunks in ``fmt`` into 16 kHz mono s16le, chunk by chunk.

    Chunks may split sample frames anywhere; a partial frame waits for the next chunk. Call
    :meth:`flush` at the end of the stream to get the resampler's tail.
    """

    def __init__(self, fmt: PcmFormat = PCM16K) -> None:
        self.fmt = fmt
        self._rest = b""
        self._resampler = _Resampler(fmt.sample_rate, TARGET_RATE) if fmt.sample_rate != TARGET_RATE else None
        self._seen = 0
        self.passthrough = fmt == PCM16K

    def feed(self, chunk: bytes) -> bytes:
        """Convert one chunk; returns the 16 kHz mono s16le bytes ready so far (maybe none)."""
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise InvalidAudio(f"audio chunks must be bytes, got {type(chunk).__name__}")
        chunk = bytes(chunk)
        if self._seen == 0 and chunk:
            kind = sniff_not_pcm(chunk)
            if kind is not None:
                raise InvalidAudio(f"expected raw {self._describe()} PCM, got {kind}")
        self._seen += len(chunk)
        if self.passthrough and not self._rest and len(chunk) % 2 == 0:
            return chunk
        data = self._rest + chunk
        cut = len(data) - len(data) % self.fmt.frame_bytes
        self._rest = data[cut:]
        return self._convert(data[:cut], final=False)

    def flush(self) -> bytes:
        """End of stream: the remaining samples. A dangling partial frame is invalid audio."""
        if self._rest:
            raise InvalidAudio(
                f"audio ended in the middle of a sample frame ({len(self._rest)} stray bytes; "
                f"{self._describe()} frames are {self.fmt.frame_bytes} bytes)"
            )
        return self._convert(b"", final=True)

    def _describe(self) -> str:
        f = self.fmt
        return f"{f.sample_rate} Hz {f.channels}-channel {f.sample_format}"

    def _convert(self, data: bytes, *, final: bool) -> bytes:
        samples = np.frombuffer(data, dtype=_DTYPE[self.fmt.sample_format])
        if self.fmt.sample_format == "s16le":
            mono = samples.astype(np.float32) / 32768.0
        else:
            if not np.all(np.isfinite(samples)) or np.any(np.abs(samples) > 16.0):
                raise InvalidAudio("float samples are not finite or far outside [-1, 1]; not f32le audio")
            mono = samples.astype(np.float32)
        if self.fmt.channels > 1:
            mono = mono.reshape(-1, self.fmt.channels).mean(axis=1)
        if self._resampler is not None:
            if not data and not final:
                return b""
            mono = self._resampler.process(mono, final=final)
        return to_s16le(mono)


def to_s16le(samples: npt.NDArray[np.floating]) -> bytes:
    """Float samples in [-1, 1] as s16le bytes, clipped."""
    scaled = np.clip(samples, -1.0, 32767 / 32768) * 32768.0
    return bytes(scaled.astype("<i2").tobytes())


def convert(data: bytes, fmt: PcmFormat) -> bytes:
    """Convert a whole recording of raw PCM in ``fmt`` to 16 kHz mono s16le."""
    converter = PcmConverter(fmt)
    return converter.feed(data) + converter.flush()


def read_wav(data: bytes, *, expect_rate: int | None = None) -> bytes:
    """Decode a PCM WAV file (8/16/32-bit integer or 32-bit float) to 16 kHz mono s16le.

    ``expect_rate`` is the rate the caller declared; a header that disagrees is invalid audio.
    """
    if not data:
        raise InvalidAudio("zero-length recording: no audio to decode")
    if not data.startswith(b"RIFF"):
        raise InvalidAudio(f"not a WAV file ({sniff_not_pcm(data) or 'no RIFF header'})")
    try:
        with wave.open(io.BytesIO(data)) as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        if b"WAVE" in data[:12] and b"\x03\x00" == data[20:22]:
            return _read_float_wav(data, expect_rate)
        raise InvalidAudio(f"unreadable WAV file: {exc}") from exc
    if expect_rate is not None and rate != expect_rate:
        raise InvalidAudio(f"WAV header says {rate} Hz but {expect_rate} Hz was declared")
    if width == 1:
        frames = ((np.frombuffer(frames, np.uint8).astype(np.int16) - 128) << 8).astype("<i2").tobytes()
    elif width == 4:
        frames = (np.frombuffer(frames, "<i4") >> 16).astype("<i2").tobytes()
    elif width != 2:
        raise InvalidAudio(f"unsupported WAV sample width: {width * 8} bits")
    return convert(frames, PcmFormat(rate, channels, "s16le"))


def _read_float_wav(data: bytes, expect_rate: int | None) -> bytes:
    """IEEE-float WAV (format tag 3), which the stdlib ``wave`` module refuses."""
    channels = int.from_bytes(data[22:24], "little")
    rate = int.from_bytes(data[24:28], "little")
    if expect_rate is not None and rate != expect_rate:
        raise InvalidAudio(f"WAV header says {rate} Hz but {expect_rate} Hz was declared")
    at = data.find(b"data", 36)
    if at < 0:
        raise InvalidAudio("unreadable WAV file: no data chunk")
    size = int.from_bytes(data[at + 4:at + 8], "little")
    body = data[at + 8:at + 8 + size]
    return convert(body[: len(body) - len(body) % (4 * channels)], PcmFormat(rate, channels, "f32le"))


def wav_bytes(pcm16k: bytes) -> bytes:
    """Wrap 16 kHz mono s16le in a WAV header (for vendors that take a file)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(TARGET_RATE)
        w.writeframes(pcm16k)
    return out.getvalue()


def check_pcm16(audio: object) -> bytes:
    """A whole recording of 16 kHz mono s16le as bytes; raises InvalidAudio for anything that is not.

    What every Transcriber's ``transcribe`` checks before it does anything else.
    """
    if not isinstance(audio, bytes | bytearray | memoryview):
        raise InvalidAudio(f"audio must be bytes, got {type(audio).__name__}")
    data = bytes(audio)
    kind = sniff_not_pcm(data)
    if kind is not None:
        raise InvalidAudio(f"expected raw 16 kHz mono s16le PCM, got {kind}")
    if len(data) % 2:
        raise InvalidAudio("audio has an odd number of bytes; expected 16-bit PCM")
    return data


async def aligned_pcm16(audio: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """Re-chunk a 16 kHz mono s16le stream into whole samples; raises InvalidAudio on a dangling byte.

    Transcribers take chunks of any size; this is the check every one of them makes.
    """
    rest = b""
    first = True
    async for chunk in audio:
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise InvalidAudio(f"audio chunks must be bytes, got {type(chunk).__name__}")
        if first and chunk:
            first = False
            kind = sniff_not_pcm(bytes(chunk))
            if kind is not None:
                raise InvalidAudio(f"expected raw 16 kHz mono s16le PCM, got {kind}")
        data = rest + bytes(chunk)
        cut = len(data) - len(data) % 2
        rest = data[cut:]
        if cut:
            yield data[:cut]
    if rest:
        raise InvalidAudio("audio has an odd number of bytes; expected 16-bit PCM")
