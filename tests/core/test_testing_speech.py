"""The speech helpers transcriber tests and benchmarks share: flite speech and word error rate."""

from __future__ import annotations

import pytest

from interview_engine.testing.speech import edit_distance, say, with_pause, word_error_rate, words


def test_words_drop_case_and_punctuation() -> None:
    assert words("We run it on Kubernetes, don't we? K-8s!") == ["we", "run", "it", "on", "kubernetes", "don't",
                                                                "we", "k", "8s"]


@pytest.mark.parametrize(("reference", "hypothesis", "edits"), [
    ("a b c", "a b c", 0),
    ("a b c", "a x c", 1),
    ("a b c", "a c", 1),
    ("a b c", "a b c d", 1),
    ("a b c", "", 3),
    ("", "a b", 2),
    ("the cat sat on the mat", "cat sat on a mat today", 3),
])
def test_edit_distance(reference: str, hypothesis: str, edits: int) -> None:
    assert edit_distance(words(reference), words(hypothesis)) == edits


def test_word_error_rate_pools_utterances() -> None:
    assert word_error_rate("Our team reviewed it.", "our team reviewed it") == 0.0
    assert word_error_rate("a b c d", "a b x d") == 0.25
    assert word_error_rate(["a b c d", "e f"], ["a b c d", "e"]) == pytest.approx(1 / 6)
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "hallucinated") == 1.0
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        word_error_rate(["a", "b"], ["a"])


def test_say_speaks_16k_mono() -> None:
    pcm = say("hello world")
    assert len(pcm) % 2 == 0 and 0.5 < len(pcm) / 32000 < 3
    assert with_pause(pcm, pcm, pause_s=0.5) == pcm + bytes(16000) + pcm + bytes(16000)
