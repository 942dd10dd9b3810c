"""Making any text storable: what the store refuses (NUL characters, lone surrogates) replaced."""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: str) -> str:
    """``value`` with each NUL character and lone surrogate replaced by U+FFFD, so that any text (an error
    message, say) can be stored."""
    return _UNSTORABLE.sub("\ufffd", value)
