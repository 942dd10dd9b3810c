"""Transport-neutral media between a stream (WebRTC, a file, a socket) and the providers.

Audio: any PCM becomes 16 kHz mono s16le (``PcmConverter``), silence ends an answer (``Endpointer``),
and ``AudioPipeline`` runs a Transcriber over a stream with bounded buffering, ending in ``AnswerEnded``
(what a host records with ``session.answer(..., source="speech")``).

Video: ``FrameSampler`` takes one frame every N seconds, analyses it off the event loop, drops and counts
frames when analysis falls behind, and stores emotion samples and proctoring signals for sessions that
opted in.
"""

from .audio import PcmConverter, PcmFormat, convert, read_wav, wav_bytes
from .audio_pipeline import AnswerEnded, AudioPipeline, DropBuffer, PipelineStats
from .endpoint import EndpointConfig, Endpointer
from .frames import FrameSampler, SamplerStats, TimedFrame

__all__ = [
    "AnswerEnded",
    "AudioPipeline",
    "DropBuffer",
    "EndpointConfig",
    "Endpointer",
    "FrameSampler",
    "PcmConverter",
    "PcmFormat",
    "PipelineStats",
    "SamplerStats",
    "TimedFrame",
    "convert",
    "read_wav",
    "wav_bytes",
]
