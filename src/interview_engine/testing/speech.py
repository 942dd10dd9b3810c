"""Spoken test audio and its scoring, for transcriber tests and benchmarks.

``say`` synthesises English speech offline with flite (Debian package ``flite``), the voice every
transcriber test here hears; ``word_error_rate`` scores a transcript against the words that were said.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..media.audio import read_wav

__all__ = ["ANSWERS", "FLITE_VOICE", "browser_audio", "edit_distance", "say", "with_pause", "word_error_rate", "words"]

FLITE_VOICE = "kal16"
"""flite's 16 kHz voice."""
_WORD = re.compile(r"[a-z0-9']+")

ANSWERS = (
    "our team reviewed every pull request before it reached the main branch",
    "I would write the service in python and keep the data in a postgres database",
    "first I would look at the slow query plan and then add an index on the user column",
    "we deploy every service with containers and watch the latency after each release",
)
"""Interview answers in plain English that transcriber tests and ``bench/stt.py`` have flite speak."""


@lru_cache(maxsize=64)
def say(text: str, voice: str = FLITE_VOICE) -> bytes:
    """``text`` spoken by flite, as 16 kHz mono s16le. Raises RuntimeError when flite is missing."""
    flite = shutil.which("flite")
    if flite is None:
        raise RuntimeError("flite is not installed (apt-get install flite); it speaks the test answers")
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        subprocess.run([flite, "-voice", voice, "-t", text, "-o", str(wav)], check=True, timeout=60,
                       capture_output=True)
        return read_wav(wav.read_bytes())


def with_pause(*parts: bytes, pause_s: float = 1.0) -> bytes:
    """16 kHz mono s16le clips joined with ``pause_s`` of digital silence after each."""
    gap = bytes(2 * round(16000 * pause_s))
    return b"".join(part + gap for part in parts)


def browser_audio(pcm16k: bytes, silence_s: float) -> bytes:
    """16 kHz mono s16le as a browser sends it: 48 kHz stereo s16le, with 0.1 s of silence before and
    ``silence_s`` of quiet room noise after."""
    x = np.frombuffer(pcm16k, "<i2").astype(np.float64)
    x = np.interp(np.arange(len(x) * 3) / 3, np.arange(len(x)), x)
    tail = np.random.default_rng(0).normal(0, 30, int(48000 * silence_s))
    mono = np.concatenate([np.zeros(4800), x, tail])
    return np.repeat(mono[:, None], 2, axis=1).astype("<i2").tobytes()


def words(text: str) -> list[str]:
    """Lower-case words without punctuation: ``"Kubernetes, K-8s!"`` -> ``["kubernetes", "k", "8s"]``."""
    return _WORD.findall(text.lower())


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Fewest word substitutions, deletions and insertions that turn ``reference`` into ``hypothesis``."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def word_error_rate(reference: str | list[str], hypothesis: str | list[str]) -> float:
    """Word error rate: word edits (see ``edit_distance``) over the number of reference words, after
    ``words`` normalisation. Several utterances may be scored together by passing lists of texts; their
    words are pooled, so long utterances weigh more. Zero reference words: 0.0, or 1.0 if anything was
    heard."""
    refs = [reference] if isinstance(reference, str) else reference
    hyps = [hypothesis] if isinstance(hypothesis, str) else hypothesis
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    edits = total = 0
    for ref, hyp in zip(refs, hyps, strict=True):
        ref_words = words(ref)
        edits += edit_distance(ref_words, words(hyp))
        total += len(ref_words)
    if total == 0:
        return 0.0 if edits == 0 else 1.0
    return edits / total
