"""Text as a reader sees it, for comparing text with text. Never applied to what is stored.

- ``visible``: the text without invisible format characters (zero-width spaces and joiners, soft hyphens,
  bidirectional controls, Unicode tag characters): what a recruiter sees, and what evaluators are sent.
- ``fold``: a key for matching, so disguises do not change what text says: tag characters become the
  ASCII they hide, compatibility forms their plain letters (NFKC: fullwidth ``ｉｇｎｏｒｅ``, ligatures),
  combining marks go, letters of other scripts that look like Latin ones become them (Cyrillic ``о``,
  Greek ``ο`` -> ``o``, from Unicode's confusables data through ``confusable_homoglyphs``), typographic
  quotes become plain, HTML comment markers separate what they enclose, case is folded and white space
  collapsed. Hangul and other CJK text keeps its letters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_TAGS = range(0xE0020, 0xE007F)
"""Unicode tag characters: invisible, yet models read them as the ASCII characters they shadow."""
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                         "\u00ab": '"', "\u00bb": '"', "\u300c": '"', "\u300d": '"', "\u300e": '"', "\u300f": '"'})
_COMMENT_MARK = re.compile(r"<!--|-->")
_WS = re.compile(r"\s+")
_CJK_SCRIPTS = ("HANGUL", "CJK", "HIRAGANA", "KATAKANA", "BOPOMOFO")


def is_invisible(char: str) -> bool:
    """True for format characters (Unicode category Cf), which render as nothing."""
    return unicodedata.category(char) == "Cf"


def visible(text: str) -> str:
    """``text`` without its invisible format characters."""
    if text.isascii():
        return text
    return "".join(c for c in text if not is_invisible(c))


def fold(text: str) -> str:
    """The matching key of ``text`` (see the module docstring)."""
    text = _COMMENT_MARK.sub(" : ", text)
    if not text.isascii():
        text = "".join(chr(ord(c) - 0xE0000) if ord(c) in _TAGS else c for c in text)
        decomposed = unicodedata.normalize("NFKD", text)
        kept = (c for c in decomposed if unicodedata.category(c) not in ("Mn", "Me", "Cf"))
        text = "".join(_latin_lookalike(c) for c in unicodedata.normalize("NFC", "".join(kept)))
        text = text.translate(_QUOTES)
    return _WS.sub(" ", text).strip().casefold()


@cache
def _latin_lookalike(char: str) -> str:
    """The ASCII letter ``char`` is drawn like, or ``char`` itself (ASCII and CJK stay as they are)."""
    if char.isascii() or not char.isalpha() or unicodedata.name(char, "").startswith(_CJK_SCRIPTS):
        return char
    from confusable_homoglyphs import confusables  # 50+ ms to load its data: only for text that needs it

    found = confusables.is_confusable(char, greedy=True, preferred_aliases=["latin"])
    for homoglyph in (h["c"] for entry in found or () for h in entry["homoglyphs"]):
        if len(homoglyph) == 1 and homoglyph.isascii() and homoglyph.isalpha():
            # Unicode's prototype for every capital I look-alike is "l"; read as text, it is an I.
            return "I" if homoglyph == "l" and char.isupper() else homoglyph
    return char
