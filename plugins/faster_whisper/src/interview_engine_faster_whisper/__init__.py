"""Offline speech-to-text for interview-engine on faster-whisper (provider ``faster_whisper``)."""

from .transcriber import FasterWhisperTranscriber

__all__ = ["FasterWhisperTranscriber"]
