"""Evidence quotes marked in an answer's transcript, safely: the quotes are located in the raw text and
every piece is escaped on its own before ``<mark>`` goes around it, so markup in an answer or a quote is
shown as text and never becomes HTML."""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

_QUOTE_CHARS = {"'": "['‘’‚‛′]", '"': "[\"“”„‟″«»]"}


def _pattern(quote: str) -> re.Pattern[str] | None:
    """Matches ``quote`` ignoring case, runs of white space and the style of quotation marks."""
    words = quote.split()
    if not words:
        return None
    parts = ["".join(_QUOTE_CHARS.get(c, re.escape(c)) for c in word) for word in words]
    return re.compile(r"\s+".join(parts), re.IGNORECASE)


def evidence_spans(text: str, quotes: Iterable[str]) -> list[tuple[int, int]]:
    """Where the quotes occur in ``text``: sorted, overlapping spans merged."""
    spans: list[tuple[int, int]] = []
    for quote in set(quotes):
        pattern = _pattern(quote)
        if pattern is not None:
            spans.extend(m.span() for m in pattern.finditer(text) if m.end() > m.start())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def mark_evidence(text: str, quotes: Iterable[str]) -> Markup:
    """``text`` as HTML with each evidence quote in ``<mark>``."""
    out, position = [], 0
    for start, end in evidence_spans(text, quotes):
        out += [escape(text[position:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        position = end
    out.append(escape(text[position:]))
    return Markup("").join(out)
