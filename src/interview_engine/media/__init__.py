"""Transport-neutral media: PCM framing and endpointing for audio (``media.audio``), frame sampling for
video (``media.frames``). Import from the submodules."""
