"""Errors about model files, shared by every model plugin (llama.cpp, transformers, ...)."""

from __future__ import annotations

from ..errors import ProviderError


class CorruptModel(ProviderError):
    """A model file exists but cannot be used: wrong format, truncated or damaged."""


class ChecksumMismatch(CorruptModel):
    """Model bytes (a downloaded or assembled file) do not have the published sha256."""
