"""Token log-probabilities from the ``logprobs`` of streamed chat completion chunks (OpenAI's format,
which vLLM and llama.cpp's servers follow): per token its text, ``bytes`` and ``top_logprobs``."""

from __future__ import annotations

from typing import Any

from interview_engine.plugin_api import ProviderError, TokenLogprobs


class TokenCollector:
    """Collects the tokens of one completion, chunk by chunk. Offsets are counted on the tokens'
    bytes where the server gives them, so a character split across tokens is counted once."""

    def __init__(self) -> None:
        self.tokens: list[TokenLogprobs] = []
        self._bytes = b""

    def feed(self, logprobs: Any) -> None:
        """Take a chunk's ``choices[0].logprobs`` (None when the server sent none)."""
        if logprobs is None:
            return
        try:
            for entry in logprobs.get("content") or []:
                text = entry["token"]
                offset = len(self._bytes.decode("utf-8", errors="ignore"))
                alternatives = [(alt["token"], float(alt["logprob"])) for alt in entry.get("top_logprobs") or []]
                self.tokens.append(TokenLogprobs.of(offset, text, alternatives))
                raw = entry.get("bytes")
                self._bytes += bytes(raw) if raw is not None else text.encode("utf-8")
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ProviderError(f"unexpected logprobs in a completion chunk: {str(logprobs)[:200]}") from exc
