"""Pronunciations for an interview's custom vocabulary (role terms the CMU dictionary lacks).

A term gets, in order: the caller's own pronunciation, this module's table of common technical terms,
the dictionary's entry, or a guess that spells the word as dictionary words and letter names
("postgresql" -> "post" "gres" "q" "l").
"""

from __future__ import annotations

import re
from collections.abc import Callable

LookupFn = Callable[[str], str | None]

TECH_TERMS: dict[str, str] = {
    "postgresql": "P OW S T G R EH S K Y UW EH L",
    "postgres": "P OW S T G R EH S",
    "kubernetes": "K UW B ER N EH T IY Z",
    "redis": "R EH D IH S",
    "graphql": "G R AE F K Y UW EH L",
    "mysql": "M AY EH S K Y UW EH L",
    "nginx": "EH N JH AH N EH K S",
    "django": "JH AE NG G OW",
    "fastapi": "F AE S T EY P IY AY",
    "pytorch": "P AY T AO R CH",
    "tensorflow": "T EH N S ER F L OW",
    "kafka": "K AA F K AH",
    "terraform": "T EH R AH F AO R M",
    "grafana": "G R AH F AA N AH",
    "elasticsearch": "IH L AE S T IH K S ER CH",
    "numpy": "N AH M P AY",
    "typescript": "T AY P S K R IH P T",
    "kotlin": "K AA T L IH N",
    "golang": "G OW L AE NG",
    "grpc": "JH IY AA R P IY S IY",
    "kubectl": "K UW B K AH N T R OW L",
    "devops": "D EH V AA P S",
}

LETTERS: dict[str, str] = dict(zip(
    "abcdefghijklmnopqrstuvwxyz",
    ["EY", "B IY", "S IY", "D IY", "IY", "EH F", "JH IY", "EY CH", "AY", "JH EY", "K EY", "EH L", "EH M",
     "EH N", "OW", "P IY", "K Y UW", "AA R", "EH S", "T IY", "Y UW", "V IY", "D AH B AH L Y UW", "EH K S",
     "W AY", "Z IY"],
    strict=True,
))

_WORD = re.compile(r"[a-z0-9']+")
MAX_GUESS_CHARS = 30


def words_of(term: str) -> list[str]:
    """The dictionary words a vocabulary term consists of ("Spring Boot" -> ["spring", "boot"])."""
    return _WORD.findall(term.lower())


def pronounce(word: str, lookup: LookupFn, custom: dict[str, str] | None = None) -> str | None:
    """ARPAbet phones for a lower-case ``word``, or None when no pronunciation can be made."""
    if custom and word in custom:
        return custom[word]
    if word in TECH_TERMS:
        return TECH_TERMS[word]
    known = lookup(word)
    if known:
        return known
    return guess(word, lookup)


def guess(word: str, lookup: LookupFn) -> str | None:
    """Spell ``word`` with the fewest dictionary words (two letters or more) and letter names."""
    if not word.isalpha() or len(word) > MAX_GUESS_CHARS:
        return None
    n = len(word)
    best: list[tuple[int, list[str]] | None] = [None] * (n + 1)
    best[0] = (0, [])
    for end in range(1, n + 1):
        for start in range(end):
            prev = best[start]
            if prev is None:
                continue
            piece = word[start:end]
            phones = lookup(piece) if len(piece) >= 2 else None
            cost = 2 if phones else 3  # a letter name costs more than a word piece
            if phones is None:
                if len(piece) != 1:
                    continue
                phones = LETTERS[piece]
            candidate = (prev[0] + cost, [*prev[1], phones])
            current = best[end]
            if current is None or candidate[0] < current[0]:
                best[end] = candidate
    result = best[n]
    return " ".join(result[1]) if result else None
