"""JSON-schema-constrained decoding for transformers' ``generate``, on llguidance.

llguidance compiles the schema to a grammar and gives, at every step, the set of tokens that keep the
output a valid prefix of a schema-conforming document. Masking the logits to that set makes any model,
however weak, produce JSON that parses and validates, as long as it is allowed to finish. To make sure
it finishes within ``max_new_tokens``, the processor estimates how many tokens the shortest completion
still needs and, once the budget gets close to that, *wraps up*: where a closing token (end of
generation, ``"``, ``]``, ``}``) is allowed it is forced, so strings, arrays and objects close as soon
as the schema lets them, and forced text (property names) is emitted in its canonical tokens.
"""

from __future__ import annotations

import logging
from typing import Any

import llguidance
import llguidance.hf
import numpy as np
import numpy.typing as npt
import torch
from transformers import LogitsProcessor, PreTrainedTokenizerFast

from interview_engine.plugin_api import ProviderError

log = logging.getLogger(__name__)

CLOSERS = ('"', "]", "}")
"""Characters whose token closes the innermost open JSON value, in the order wrap-up prefers them."""

MAX_CHECK_INTERVAL = 32
"""Most steps between two estimates of the shortest completion."""

MAX_SIMULATION = 512
"""Longest completion simulated; a schema whose shortest document is longer is wrapped up on a best-effort
basis when this many tokens are left."""

Mask = npt.NDArray[np.bool_]
Bits = npt.NDArray[np.uint8]


class GrammarVocabulary:
    """A model's vocabulary as llguidance sees it, built once per loaded model (about a second for a
    128k-token vocabulary)."""

    def __init__(self, tokenizer: PreTrainedTokenizerFast, model_vocab_size: int, eos_ids: list[int]) -> None:
        self.size = max(len(tokenizer), model_vocab_size)
        self.tokenizer = llguidance.hf.from_tokenizer(tokenizer, n_vocab=self.size, eos_token=eos_ids)
        self.eos_ids = eos_ids
        self.closers = [ids[0] for ids in (self.tokenizer.tokenize_str(c) for c in CLOSERS) if len(ids) == 1]
        self.lengths = np.array([len(self.tokenizer.decode_bytes([t])) for t in range(self.size)])

    def bitmask(self, matcher: llguidance.LLMatcher) -> Bits:
        """The tokens the matcher accepts next, one bit per token (little-endian within each byte)."""
        return np.frombuffer(matcher.compute_bitmask(), dtype=np.uint8)

    def unpack(self, bits: Bits) -> Mask:
        return np.unpackbits(bits, bitorder="little")[: self.size].astype(bool)

    def closing_token(self, matcher: llguidance.LLMatcher, bits: Bits) -> int | None:
        """The token wrap-up forces here: end of generation, else forced text, else the first allowed
        closer; None where the model must choose (a digit, the first character of a required string)."""
        for token in self.eos_ids:
            if token < self.size and _allows(bits, token):
                return token
        forced = matcher.compute_ff_tokens()
        if forced:
            return forced[0]
        return next((token for token in self.closers if _allows(bits, token)), None)


def _allows(bits: Bits, token: int) -> bool:
    return bool(bits[token >> 3] >> (token & 7) & 1)


class JsonSchemaLogitsProcessor(LogitsProcessor):
    """Masks logits to tokens that keep the output valid against ``schema``; one instance per
    generation (it tracks the tokens generated so far)."""

    def __init__(self, vocabulary: GrammarVocabulary, schema: dict[str, Any], max_new_tokens: int) -> None:
        grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, overrides={"whitespace_flexible": False})
        self._vocabulary = vocabulary
        self._matcher = llguidance.LLMatcher(vocabulary.tokenizer, grammar, log_level=0)
        if self._matcher.is_error():
            raise ProviderError(f"cannot constrain decoding to the JSON schema: {self._matcher.get_error()}")
        self._budget = max_new_tokens
        self._steps = 0
        self._next_check = 0
        self.wrapping_up = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._steps and not self._matcher.consume_token(int(input_ids[0, -1])):
            raise ProviderError(f"constrained decoding lost track of the output: {self._matcher.get_error()}")
        bits = self._vocabulary.bitmask(self._matcher)
        allowed = self._vocabulary.unpack(bits)
        left = self._budget - self._steps
        self._steps += 1
        if not self.wrapping_up and self._must_wrap_up(left):
            log.debug("wrapping up JSON with %d of %d tokens left", left, self._budget)
            self.wrapping_up = True
        if self.wrapping_up:
            token = self._vocabulary.closing_token(self._matcher, bits)
            if token is not None:
                allowed = np.zeros_like(allowed)
                allowed[token] = True
        keep = torch.from_numpy(allowed[: scores.shape[-1]]).to(scores.device)
        if keep.shape[0] < scores.shape[-1]:
            keep = torch.nn.functional.pad(keep, (0, scores.shape[-1] - keep.shape[0]))
        return scores.masked_fill(~keep, float("-inf"))

    def _must_wrap_up(self, left: int) -> bool:
        """Whether the budget is down to the shortest completion plus a margin. Estimates are spaced by
        a quarter of the remaining slack, so they get frequent only near the end."""
        if self._steps < self._next_check:
            return False
        needed = self.shortest_completion(limit=min(left, MAX_SIMULATION))
        slack = left - (needed + 2 + needed // 8)
        self._next_check = self._steps + min(MAX_CHECK_INTERVAL, max(1, slack // 4))
        return slack <= 0

    def shortest_completion(self, limit: int) -> int:
        """Tokens (end of generation included) the wrap-up policy needs to finish from here, where the
        model's own choices are taken to be the longest allowed tokens; more than ``limit`` when it
        cannot finish within it."""
        matcher = self._matcher.deep_copy()
        for count in range(limit + 1):
            if matcher.is_accepting():
                return count + 1
            bits = self._vocabulary.bitmask(matcher)
            token = self._vocabulary.closing_token(matcher, bits)
            if token is None:
                allowed = self._vocabulary.unpack(bits)
                if not allowed.any():
                    break
                token = int(np.argmax(np.where(allowed, self._vocabulary.lengths, -1)))
            matcher.consume_token(token)
        return limit + 1
