"""Deepgram speech-to-text for interview-engine (provider ``deepgram``); a fake server in ``.testing``."""

from .transcriber import DeepgramTranscriber

__all__ = ["DeepgramTranscriber"]
