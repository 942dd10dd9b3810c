"""A decoder process: ``python -m interview_engine_pocketsphinx.worker FD`` serves the streams its parent
transcriber opens on the socket ``FD``, one message at a time, and exits when the parent closes it.

PocketSphinx holds the GIL while it decodes, so decoding in the server's own process stalls its event
loop and runs on one core at most; each decoder process has its own interpreter and core. Decoders are
pooled per vocabulary (building one loads the model: about half a second and 90 MB).
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
from typing import Any

import pocketsphinx

from .decoding import DecoderConfig, Event, Utterances, VocabularyKey, new_decoder, vocabulary_key
from .wire import FrameReader, pack

log = logging.getLogger(__name__)

POOL_PER_VOCABULARY = 4
"""Idle decoders kept per vocabulary in one process."""


class Worker:
    """The streams of one decoder process and its idle decoders."""

    def __init__(self, config: DecoderConfig) -> None:
        self.config = config
        self.streams: dict[int, tuple[VocabularyKey, Utterances]] = {}
        self.idle: dict[VocabularyKey, list[Any]] = {(): [new_decoder(pocketsphinx, (), config)]}

    def handle(self, message: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """Do what ``message`` asks; returns the reply, if any."""
        kind, sid = message[0], message[1]
        try:
            if kind == "open":
                self._open(sid, message[2])
            elif kind == "feed":
                events = self.streams[sid][1].feed(message[2], message[3])
                return ("events", sid, events) if events else None
            elif kind == "finish":
                return "finished", sid, self._finish(sid)
            elif kind == "drop":
                self._drop(sid)
        except Exception as exc:  # the stream fails, the process and its other streams go on
            log.exception("pocketsphinx stream %s failed", sid)
            self.streams.pop(sid, None)
            return "failed", sid, f"{type(exc).__name__}: {exc}"
        return None

    def _open(self, sid: int, vocabulary: list[str]) -> None:
        key = vocabulary_key(vocabulary)
        idle = self.idle.get(key)
        decoder = idle.pop() if idle else new_decoder(pocketsphinx, key, self.config)
        self.streams[sid] = key, Utterances.open(pocketsphinx, decoder, vocabulary, self.config)

    def _finish(self, sid: int) -> list[Event]:
        key, utterances = self.streams.pop(sid)
        events = utterances.finish()
        self._give_back(key, utterances.decoder)
        return events

    def _drop(self, sid: int) -> None:
        stream = self.streams.pop(sid, None)
        if stream is not None:
            stream[1].abandon()
            self._give_back(stream[0], stream[1].decoder)

    def _give_back(self, key: VocabularyKey, decoder: Any) -> None:
        idle = self.idle.setdefault(key, [])
        if len(idle) < POOL_PER_VOCABULARY:
            idle.append(decoder)


def serve(sock: socket.socket) -> None:
    """Answer the parent until it closes the socket. The first message is the DecoderConfig."""
    reader = FrameReader()
    worker: Worker | None = None
    while data := sock.recv(1 << 16):
        for message in reader.feed(data):
            if worker is None:
                worker = Worker(message[0])
                continue
            reply = worker.handle(message)
            if reply is not None:  # at once: a final must not wait for other streams' audio
                sock.sendall(pack(reply))


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when this process ends
    logging.basicConfig(level=logging.WARNING, format="pocketsphinx worker: %(levelname)s %(message)s")
    with socket.socket(fileno=int(sys.argv[1])) as sock:
        serve(sock)


if __name__ == "__main__":
    main()
