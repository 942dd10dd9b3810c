"""Token log-probabilities from llama-cpp-python without ``logits_all``.

llama-cpp-python reports logprobs only for a model loaded with ``logits_all=True``, which keeps the
logits of every prompt token (gigabytes at n_ctx 8192 with a 150k vocabulary, and slower prompt
processing) and sorts the whole vocabulary in Python at each token. A logits processor sees the logits
of each sampled position anyway, so TopLogprobs notes the few likeliest tokens there as it goes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from interview_engine.plugin_api import TokenLogprobs

Detokenize = Callable[[list[int]], bytes]


class TopLogprobs:
    """A logits processor that notes, at each sampled position, the ``k`` likeliest tokens under the
    model's own distribution and leaves the logits as they are. It runs first in llama-cpp-python's
    sampler chain, so what it sees comes before penalties and grammar.

    At each position after the first, the token sampled at the one before is the last input id; the
    last sampled token is never seen, so ``tokens`` takes its text from the rest of the completion."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._steps: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.single]]] = []
        self._sampled: list[int] = []

    def __call__(self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        if self._steps:
            self._sampled.append(int(input_ids[-1]))
        logits = np.ascontiguousarray(scores)
        top = np.argpartition(logits, -self.k)[-self.k:].copy()  # a view would hold the whole ordering
        peak = logits.max()
        log_total = peak + np.log(np.exp(logits - peak).sum())
        self._steps.append((top, logits[top] - log_total))
        return scores

    def tokens(self, text: str, detokenize: Detokenize) -> list[TokenLogprobs]:
        """The completion ``text``'s tokens with their alternatives (a final end-of-generation token,
        or text cut off by a stop string, has none)."""
        names: dict[int, str] = {}

        def name(token: int) -> str:
            if token not in names:
                names[token] = detokenize([token]).decode("utf-8", errors="replace")
            return names[token]

        tokens: list[TokenLogprobs] = []
        done = b""
        offset = 0
        pieces: list[bytes | None] = [detokenize([t]) for t in self._sampled]
        for (ids, logprobs), piece in zip(self._steps, [*pieces, None], strict=True):
            if offset >= len(text):
                break
            if piece is None:
                end = len(text)
            else:
                done += piece
                end = min(len(done.decode("utf-8", errors="ignore")), len(text))
            alternatives = zip(map(name, ids.tolist()), logprobs.tolist(), strict=True)
            tokens.append(TokenLogprobs.of(offset, text[offset:end], alternatives))
            offset = end
        return tokens
