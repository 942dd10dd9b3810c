"""A local fake of Deepgram's speech-to-text API, for tests and for integrators' own tests.

It speaks the live protocol on a WebSocket (``Results`` with interim and final hypotheses, ``UtteranceEnd``,
``Metadata``; ``KeepAlive``, ``Finalize`` and ``CloseStream`` from the client; 401 for a bad key; an idle
timeout; sockets dropped on request) and serves pre-recorded ``POST /v1/listen`` over HTTP. Both listen
on 127.0.0.1 only.

Its "recognition" is scripted but real in one way: words are tone bursts. :meth:`FakeDeepgram.speech`
turns text into audio, one tone per word, and the server hears the words back from the audio it
receives, so audio that is lost or sent twice shows as words missing or doubled::

    async with FakeDeepgram() as server:
        transcriber = DeepgramTranscriber(
            api_key=server.api_key, api_url=server.api_url, ws_url=server.ws_url
        )
        pcm = server.speech("I would add an index")
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from interview_engine.plugin_api import InvalidAudio, read_wav

log = logging.getLogger(__name__)

RATE = 16000
FRAME = 320  # 20 ms
WORD_S, GAP_S = 0.24, 0.12
BASE_HZ, STEP_HZ = 400.0, 50.0
TONE_DBFS = -20.0
MODEL_UUID = "1ed36bac-f71c-4f3f-a31f-02fd6525c489"
MODEL_INFO = {"name": "general-nova-3", "version": "2025-01-01.0", "arch": "nova-3"}


@dataclass
class Connection:
    """What the server saw on one live connection."""

    params: dict[str, list[str]]
    audio_bytes: int = 0
    keepalives: int = 0
    finalizes: int = 0
    closed_by_client: bool = False
    words: list[str] = field(default_factory=list)
    final_sent_at: list[float] = field(default_factory=list)
    """``time.perf_counter()`` when each final result left the server (for latency measurements)."""


class _Recognizer:
    """Hears tone-burst words in 16 kHz s16le audio and reports them like Deepgram's live API."""

    def __init__(self, server: FakeDeepgram, params: dict[str, list[str]]) -> None:
        self.server = server
        self.endpointing_ms = _int_param(params, "endpointing", 10)
        self.utterance_end_ms = _int_param(params, "utterance_end_ms", 0)
        self.interim = params.get("interim_results", ["false"])[0] == "true"
        self.request_id = str(uuid.uuid4())
        self.rest = np.zeros(0, dtype=np.float32)
        self.frames = 0
        self.burst: list[np.ndarray] = []
        self.burst_start = 0
        self.silent_frames = 0
        self.words: list[dict[str, Any]] = []  # heard since the last final
        self.final_end = 0.0  # where the last final result ended
        self.last_word_end: float | None = None  # for UtteranceEnd, after a final
        self.sha = hashlib.sha256()

    @property
    def position(self) -> float:
        return self.frames * FRAME / RATE

    def feed(self, pcm: bytes) -> list[dict[str, Any]]:
        self.sha.update(pcm)
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], "<i2").astype(np.float32) / 32768
        data = np.concatenate([self.rest, samples])
        n = len(data) // FRAME
        self.rest = data[n * FRAME:]
        out: list[dict[str, Any]] = []
        for frame in data[: n * FRAME].reshape(n, FRAME):
            out.extend(self._frame(frame))
        return out

    def _frame(self, frame: np.ndarray) -> list[dict[str, Any]]:
        self.frames += 1
        loud = float(np.sqrt(np.mean(frame * frame))) > 10 ** ((TONE_DBFS - 12) / 20)
        if loud:
            if not self.burst:
                self.burst_start = self.frames - 1
            self.burst.append(frame)
            self.silent_frames = 0
            return []
        out = []
        if self.burst:
            out.extend(self._word_heard())
        self.silent_frames += 1
        silence_ms = self.silent_frames * FRAME * 1000 // RATE
        if self.words and silence_ms >= self.endpointing_ms:
            out.append(self.finalize(speech_final=True))
        if self.last_word_end is not None and self.utterance_end_ms and silence_ms >= self.utterance_end_ms:
            out.append({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": self.last_word_end})
            self.last_word_end = None
        return out

    def _word_heard(self) -> list[dict[str, Any]]:
        burst = np.concatenate(self.burst)
        self.burst = []
        if len(burst) < RATE * 0.05:
            return []
        spectrum = np.abs(np.fft.rfft(burst * np.hanning(len(burst))))
        hz = np.argmax(spectrum) * RATE / len(burst)
        word = self.server.word_for(hz)
        if word is None:
            return []
        start = self.burst_start * FRAME / RATE
        self.words.append({"word": word.lower(), "start": round(start, 3), "end": round(self.position, 3),
                           "confidence": 0.98, "punctuated_word": word})
        return [self._results(is_final=False, speech_final=False)] if self.interim else []

    def finalize(self, *, speech_final: bool, from_finalize: bool = False) -> dict[str, Any]:
        """A final result for the words heard since the last one (maybe none)."""
        message = self._results(is_final=True, speech_final=speech_final, from_finalize=from_finalize)
        if self.words:
            self.last_word_end = self.words[-1]["end"]
        self.final_end = self.position
        self.words = []
        return message

    def _results(self, *, is_final: bool, speech_final: bool, from_finalize: bool = False) -> dict[str, Any]:
        transcript = " ".join(w["punctuated_word"] for w in self.words)
        message: dict[str, Any] = {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": round(self.position - self.final_end, 3),
            "start": round(self.final_end, 3),
            "is_final": is_final,
            "speech_final": speech_final,
            "channel": {"alternatives": [{
                "transcript": transcript, "confidence": 0.98 if self.words else 0.0,
                "words": list(self.words),
            }]},
            "metadata": {
                "request_id": self.request_id, "model_uuid": MODEL_UUID,
                "model_info": MODEL_INFO,
            },
        }
        if is_final:
            message["from_finalize"] = from_finalize
        return message

    def close(self) -> list[dict[str, Any]]:
        """End of audio: the word still sounding, then a final result for what is pending."""
        out = self._word_heard() if self.burst else []
        return out + ([self.finalize(speech_final=True)] if self.words else [])

    def metadata(self) -> dict[str, Any]:
        return {
            "type": "Metadata", "transaction_key": "deprecated", "request_id": self.request_id,
            "sha256": self.sha.hexdigest(), "created": datetime.now(UTC).isoformat(),
            "duration": round(self.position, 3), "channels": 1, "models": [MODEL_UUID],
            "model_info": {MODEL_UUID: MODEL_INFO},
        }


class FakeDeepgram:
    """The fake server; use as an async context manager. See the module docstring."""

    def __init__(self, *, api_key: str = "test-key", idle_timeout_s: float = 10.0) -> None:
        self.api_key = api_key
        self.idle_timeout_s = idle_timeout_s
        self.vocabulary: list[str] = []
        self.connections: list[Connection] = []
        self.rejected = 0
        self.uploads: list[dict[str, list[str]]] = []
        self._drop_after: list[tuple[int, int | None, str]] = []
        self._ws: Any = None
        self._http: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.ws_url = self.api_url = ""

    # scripting

    def speech(self, text: str) -> bytes:
        """16 kHz mono s16le audio in which this server hears ``text``, word by word."""
        parts = []
        amp = 10 ** (TONE_DBFS / 20) * np.sqrt(2)
        t = np.arange(int(RATE * WORD_S)) / RATE
        ramp = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
        for word in text.split():
            if word not in self.vocabulary:
                self.vocabulary.append(word)
            hz = BASE_HZ + STEP_HZ * self.vocabulary.index(word)
            parts += [amp * ramp * np.sin(2 * np.pi * hz * t), np.zeros(int(RATE * GAP_S))]
        pcm = np.concatenate(parts) if parts else np.zeros(0)
        return (pcm * 32767).astype("<i2").tobytes()

    def word_for(self, hz: float) -> str | None:
        index = round((hz - BASE_HZ) / STEP_HZ)
        return self.vocabulary[index] if 0 <= index < len(self.vocabulary) else None

    def drop_connection_after(self, n_bytes: int, close_code: int | None = None, reason: str = "") -> None:
        """Abort the next live connection's socket once it has received ``n_bytes`` of audio, or close
        it with ``close_code`` (Deepgram closes with 1008 when the audio cannot be decoded)."""
        self._drop_after.append((n_bytes, close_code, reason))

    # lifecycle

    async def __aenter__(self) -> FakeDeepgram:
        from websockets.asyncio.server import serve

        self._ws = await serve(self._live, "127.0.0.1", 0, process_request=self._authorize)
        ws_port = self._ws.sockets[0].getsockname()[1]
        self._http = await asyncio.start_server(self._http_handler, "127.0.0.1", 0)
        http_port = self._http.sockets[0].getsockname()[1]
        self.ws_url, self.api_url = f"ws://127.0.0.1:{ws_port}", f"http://127.0.0.1:{http_port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._ws.close()
        await self._ws.wait_closed()
        assert self._http is not None
        self._http.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._http.wait_closed()

    def _key_ok(self, authorization: str | None) -> bool:
        return authorization in (f"Token {self.api_key}", f"Bearer {self.api_key}")

    # live

    def _authorize(self, connection: Any, request: Any) -> Any:
        if urlsplit(request.path).path != "/v1/listen":
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        if not self._key_ok(request.headers.get("Authorization")):
            self.rejected += 1
            return connection.respond(HTTPStatus.UNAUTHORIZED, '{"err_code":"INVALID_AUTH"}\n')
        return None

    async def _live(self, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        params = parse_qs(urlsplit(ws.request.path).query)
        conn = Connection(params)
        self.connections.append(conn)
        drop_at, close_code, reason = self._drop_after.pop(0) if self._drop_after else (None, None, "")
        rec = _Recognizer(self, params)
        try:
            while True:
                try:
                    message = await asyncio.wait_for(ws.recv(), self.idle_timeout_s)
                except TimeoutError:
                    await ws.close(1011, "NET-0001: no audio received within the timeout")
                    return
                if isinstance(message, bytes):
                    conn.audio_bytes += len(message)
                    for out in rec.feed(message):
                        await self._send(ws, conn, out)
                    if drop_at is not None and conn.audio_bytes >= drop_at:
                        log.info("fake deepgram: dropping the socket after %d bytes", conn.audio_bytes)
                        if close_code is None:
                            ws.transport.abort()
                        else:
                            await ws.close(close_code, reason)
                        return
                    continue
                kind = json.loads(message).get("type")
                if kind == "KeepAlive":
                    conn.keepalives += 1
                elif kind == "Finalize":
                    conn.finalizes += 1
                    await self._send(ws, conn, rec.finalize(speech_final=False, from_finalize=True))
                elif kind == "CloseStream":
                    conn.closed_by_client = True
                    for out in rec.close():
                        await self._send(ws, conn, out)
                    await ws.send(json.dumps(rec.metadata()))
                    await ws.close(1000)
                    return
        except ConnectionClosed:
            return

    async def _send(self, ws: Any, conn: Connection, message: dict[str, Any]) -> None:
        await ws.send(json.dumps(message))
        if message.get("type") == "Results" and message["is_final"]:
            conn.words += [w["word"] for w in message["channel"]["alternatives"][0]["words"]]
            conn.final_sent_at.append(time.perf_counter())

    # pre-recorded

    async def _http_handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                while await self._http_request(reader, writer):
                    pass
        finally:
            self._handlers.discard(task)
            writer.close()

    async def _http_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        pairs = (line.split(":", 1) for line in lines[1:] if ":" in line)
        headers = {k.strip().lower(): v.strip() for k, v in pairs}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        url = urlsplit(target)
        if method != "POST" or url.path != "/v1/listen":
            status, payload = 404, {"err_code": "NOT_FOUND"}
        elif not self._key_ok(headers.get("authorization")):
            self.rejected += 1
            status, payload = 401, {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.",
                                    "request_id": str(uuid.uuid4())}
        else:
            params = parse_qs(url.query)
            self.uploads.append(params)
            status, payload = self._prerecorded(body, params)
        data = json.dumps(payload).encode()
        writer.write(f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n"
                     f"content-length: {len(data)}\r\n\r\n".encode() + data)
        await writer.drain()
        return headers.get("connection", "").lower() != "close"

    def _prerecorded(self, body: bytes, params: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        try:
            pcm = read_wav(body) if body.startswith(b"RIFF") else body
        except InvalidAudio:
            pcm = b""
        if not pcm and body:
            return 400, {"err_code": "Bad Request", "request_id": str(uuid.uuid4()),
                         "err_msg": "Bad Request: failed to process audio: corrupt or unsupported data"}
        rec = _Recognizer(self, {"endpointing": ["500"]})
        utterances, words = [], []
        for message in [*rec.feed(pcm), *rec.close()]:
            if message.get("type") == "Results" and message["is_final"]:
                alt = message["channel"]["alternatives"][0]
                if alt["words"]:
                    words += alt["words"]
                    utterances.append({
                        "start": alt["words"][0]["start"], "end": alt["words"][-1]["end"], "channel": 0,
                        "confidence": alt["confidence"], "transcript": alt["transcript"],
                        "words": alt["words"], "id": str(uuid.uuid4()),
                    })
        metadata = rec.metadata()
        metadata.pop("type")
        metadata["duration"] = round(len(pcm) / (2 * RATE), 3)
        results: dict[str, Any] = {"channels": [{"alternatives": [{
            "transcript": " ".join(w["punctuated_word"] for w in words),
            "confidence": 0.98 if words else 0.0, "words": words}]}]}
        if params.get("utterances") == ["true"]:
            results["utterances"] = utterances
        return 200, {"metadata": metadata, "results": results}


def _int_param(params: dict[str, list[str]], name: str, default: int) -> int:
    value = params.get(name, [str(default)])[0]
    return default if value == "false" else int(value)
