"""Audio frames decoded where their packets arrive, on the event loop.

aiortc decodes each receiver's frames in a thread of its own and hands every decoded frame back to the
event loop with ``run_coroutine_threadsafe``: a task, two futures and a wake-up of the loop for each 20 ms
frame. With many live peers that hand-off was the largest cost on the server's event loop (py-spy, 30
fake-Deepgram sessions: 36% of the samples holding the GIL, against 4% for decoding the Opus itself). An
audio frame decodes in tens of microseconds, so the server's audio receivers decode it on the loop and put
it straight into the track's queue. aiortc still starts its decoder thread, which waits idle until the
receiver stops. If aiortc's receiver changes shape, its own decoding stays and a warning says so.
"""

from __future__ import annotations

import logging
import queue
from typing import Any

import av
from aiortc import RTCRtpReceiver
from aiortc.codecs import get_decoder
from aiortc.codecs.base import Decoder

log = logging.getLogger(__name__)

_ATTRIBUTE = "_RTCRtpReceiver__decoder_queue"


class DecodeOnArrival:
    """Stands in for an audio receiver's decoder queue: ``put`` (called by the receiver on the event loop)
    decodes the frame and queues it on the track; ``get`` is where aiortc's idle decoder thread waits for
    the receiver to stop."""

    def __init__(self, track_queue: Any) -> None:
        self._track_queue = track_queue
        self._decoders: dict[str, Decoder] = {}
        self._stop: queue.SimpleQueue[None] = queue.SimpleQueue()
        self.failed = 0
        """Frames that did not decode (each dropped, as aiortc drops them)."""

    def put(self, task: tuple[Any, Any] | None) -> None:
        if task is None:  # the receiver stops: aiortc's thread ends the track and exits
            self._stop.put(None)
            return
        codec, encoded_frame = task
        decoder = self._decoders.get(codec.name)
        if decoder is None:
            decoder = self._decoders[codec.name] = get_decoder(codec)
        try:
            frames = decoder.decode(encoded_frame)
        except av.FFmpegError as exc:
            self.failed += 1
            log.warning("an audio frame (%s) did not decode: %s", codec.name, exc)
            return
        for frame in frames:
            self._track_queue.put_nowait(frame)

    def get(self) -> None:
        return self._stop.get()


def decode_on_arrival(receiver: RTCRtpReceiver) -> bool:
    """Make an audio receiver (before it starts) decode on the event loop; False if aiortc's thread stays."""
    if not isinstance(getattr(receiver, _ATTRIBUTE, None), queue.Queue) or receiver.track is None:
        log.warning("aiortc's RTCRtpReceiver has no decoder queue where this server expects one; audio is "
                    "decoded in aiortc's thread")
        return False
    setattr(receiver, _ATTRIBUTE, DecodeOnArrival(receiver.track._queue))  # type: ignore[attr-defined]
    return True
