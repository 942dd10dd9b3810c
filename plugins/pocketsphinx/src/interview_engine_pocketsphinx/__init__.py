"""Offline English speech-to-text for interview-engine on CMU PocketSphinx (provider ``pocketsphinx``)."""

from .transcriber import PocketsphinxTranscriber

__all__ = ["PocketsphinxTranscriber"]
