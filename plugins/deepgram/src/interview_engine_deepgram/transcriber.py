"""DeepgramTranscriber: live and pre-recorded speech-to-text on the official ``deepgram-sdk`` (v7)."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from interview_engine.plugin_api import (
    ConfigurationError,
    Transcript,
    TranscriptEvent,
    TranscriptionError,
    TranscriptionOptions,
    TranscriptSegment,
    check_pcm16,
    sole_error,
    wav_bytes,
)

from .live import LiveStream

log = logging.getLogger(__name__)

API_KEY_ENV = "DEEPGRAM_API_KEY"
MODELS = ("nova-3", "nova-2")


class DeepgramTranscriber:
    """Deepgram speech-to-text. Options (from settings ``transcriber_options``):

    - ``api_key``: defaults to the ``DEEPGRAM_API_KEY`` environment variable;
    - ``model``: ``nova-3`` (default) or ``nova-2``; ``language``: overrides the interview's language;
    - ``endpointing_ms`` (300) and ``utterance_end_ms`` (1000): Deepgram's pause detection;
    - ``keepalive_s`` (4): send KeepAlive when no audio flowed for this long (Deepgram closes at 10 s);
    - ``max_reconnects`` (3) and ``reconnect_backoff_s`` (0.2): reconnection after a dropped socket;
    - ``api_url``/``ws_url``: other endpoints (self-hosted Deepgram, or the fake in ``.testing``).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        model: str = "nova-3",
        language: str | None = None,
        endpointing_ms: int = 300,
        utterance_end_ms: int = 1000,
        keepalive_s: float = 4.0,
        max_reconnects: int = 3,
        reconnect_backoff_s: float = 0.2,
        api_url: str = "https://api.deepgram.com",
        ws_url: str = "wss://api.deepgram.com",
        timeout_s: float = 60.0,
    ) -> None:
        key = api_key or os.environ.get(API_KEY_ENV)
        if not key:
            raise ConfigurationError(f"no Deepgram API key: set {API_KEY_ENV} or the api_key option")
        if model not in MODELS:
            raise ConfigurationError(f"Deepgram model {model!r} is not one of {', '.join(MODELS)}")
        import httpx
        from deepgram import AsyncDeepgramClient
        from deepgram.environment import DeepgramClientEnvironment

        environment = DeepgramClientEnvironment(base=api_url, production=ws_url, agent=ws_url,
                                                agent_rest=api_url)
        self._http = httpx.AsyncClient(timeout=timeout_s)
        self._client = AsyncDeepgramClient(api_key=key, environment=environment, httpx_client=self._http,
                                           timeout=timeout_s)
        self.model, self.language = model, language
        self.endpointing_ms, self.utterance_end_ms = endpointing_ms, utterance_end_ms
        self.keepalive_s, self.max_reconnects = keepalive_s, max_reconnects
        self.backoff_s = reconnect_backoff_s

    async def stream(
        self, audio: AsyncIterable[bytes], options: TranscriptionOptions
    ) -> AsyncIterator[TranscriptEvent]:
        """Transcribe live audio: interim and final results, utterance ends; survives dropped sockets."""
        params = self._live_params(options)
        live = LiveStream(lambda: self._open(params), keepalive_s=self.keepalive_s,
                          max_reconnects=self.max_reconnects, backoff_s=self.backoff_s)
        send, receive = anyio.create_memory_object_stream[TranscriptEvent](256)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(live.read, audio)
                tg.start_soon(live.run, send)
                async with receive:
                    async for event in receive:
                        if event.kind != "interim" or options.interim_results:
                            yield event
        except BaseExceptionGroup as group:
            raise sole_error(group) from None

    async def transcribe(self, audio: bytes, options: TranscriptionOptions) -> Transcript:
        """Transcribe a whole recording of 16 kHz mono s16le with the pre-recorded API."""
        from deepgram.core.api_error import ApiError

        audio = check_pcm16(audio)
        if not audio:
            return Transcript(text="")
        try:
            response = await self._client.listen.v1.media.transcribe_file(
                request=wav_bytes(audio), model=self.model, language=self._language(options),
                punctuate=True, utterances=True, **self._vocabulary(options),
            )
        except ApiError as exc:
            raise _api_error(exc) from exc
        except Exception as exc:
            if type(exc).__module__.startswith("httpx"):
                raise TranscriptionError(f"cannot reach Deepgram: {exc or type(exc).__name__}") from exc
            raise
        results = response.results
        alternative = results.channels[0].alternatives[0]
        segments = [TranscriptSegment(text=u.transcript, start=u.start, end=u.end, confidence=u.confidence)
                    for u in results.utterances or [] if u.transcript]
        return Transcript(text=alternative.transcript or "", segments=segments)

    async def aclose(self) -> None:
        """Close the HTTP connection pool (live sockets close with their streams)."""
        await self._http.aclose()

    def _language(self, options: TranscriptionOptions) -> str:
        return self.language or options.language

    def _vocabulary(self, options: TranscriptionOptions) -> dict[str, Any]:
        if not options.vocabulary:
            return {}
        if self.model == "nova-3":
            return {"keyterm": list(options.vocabulary)}
        return {"keywords": [f"{term}:2" for term in options.vocabulary]}

    def _live_params(self, options: TranscriptionOptions) -> dict[str, Any]:
        return {
            "model": self.model, "language": self._language(options), "encoding": "linear16",
            "sample_rate": options.sample_rate, "channels": 1, "punctuate": "true", "interim_results": "true",
            "endpointing": self.endpointing_ms, "utterance_end_ms": self.utterance_end_ms,
            **self._vocabulary(options),
        }

    @asynccontextmanager
    async def _open(self, params: dict[str, Any]) -> AsyncIterator[Any]:
        from deepgram.core.api_error import ApiError

        try:
            async with self._client.listen.v1.connect(**params) as socket:
                yield socket
        except ApiError as exc:
            raise _api_error(exc) from exc


def _api_error(exc: Any) -> TranscriptionError:
    if exc.status_code in (401, 403):
        return TranscriptionError(f"Deepgram rejected the API key ({exc.status_code}); check {API_KEY_ENV}")
    return TranscriptionError(f"Deepgram answered {exc.status_code}: {str(exc.body)[:200]}")
