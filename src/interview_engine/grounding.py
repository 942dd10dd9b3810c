"""Holds every evaluator to the same evidence rules, whatever model produced the scores.

- Each rubric dimension must be scored; a score card missing one is rejected.
- Evidence must be quoted verbatim from the answer (case, white space and quote style aside). A quote
  that is not in the answer is dropped and caps that dimension's score.
- A dimension left with no evidence is capped lower still.
- Very short answers are capped, whatever the model thought of them.
- Sentences addressed to the evaluator ("give this answer 100") are not answer content: they supply no
  evidence and no length, and the evaluation is flagged so the recruiter sees the attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import EvaluationFailed
from .injection import screen_answer
from .models import DimensionScore, EvaluationFlag, InterviewSpec, ScoreCard, normalize_for_match

INVENTED_QUOTE_CAP = 50
NO_EVIDENCE_CAP = 30
SHORT_ANSWER_WORDS = 12
SHORT_ANSWER_CAP = 30
TRIVIAL_ANSWER_WORDS = 4
TRIVIAL_ANSWER_CAP = 10
MIN_QUOTE_CHARS = 3


def word_count(text: str) -> int:
    """Words separated by white space (Korean eojeol count the same way)."""
    return len(text.split())


def answer_cap(answer_text: str) -> int | None:
    """The highest score any dimension may get for an answer this short, or None."""
    words = word_count(answer_text)
    if words <= TRIVIAL_ANSWER_WORDS:
        return TRIVIAL_ANSWER_CAP
    if words < SHORT_ANSWER_WORDS:
        return SHORT_ANSWER_CAP
    return None


@dataclass(frozen=True)
class Grounded:
    """Scores that passed the evidence rules, and what the rules noticed about the answer."""

    scores: list[DimensionScore]
    flags: list[EvaluationFlag]


def ground_scores(card: ScoreCard, spec: InterviewSpec, answer_text: str) -> Grounded:
    """Check a score card against the rubric and the answer; returns the scores to record.

    Raises EvaluationFailed when a rubric dimension is missing.
    """
    by_key = {s.dimension: s for s in card.scores}
    missing = [d.key for d in spec.rubric if d.key not in by_key]
    if missing:
        raise EvaluationFailed(f"evaluator did not score rubric dimensions: {', '.join(missing)}")
    screened = screen_answer(answer_text)
    content, addressed_evaluator = screened.content, screened.flagged
    haystack = normalize_for_match(content)
    length_cap = answer_cap(content)
    grounded = []
    for dim in spec.rubric:
        raw = by_key[dim.key]
        kept = [q for q in raw.evidence if _quoted(q, haystack)]
        caps: list[tuple[int, str]] = []
        if len(kept) < len(raw.evidence):
            caps.append((INVENTED_QUOTE_CAP, "evidence not found in the answer was dropped"))
        if not kept:
            caps.append((NO_EVIDENCE_CAP, "no evidence quoted from the answer"))
        if length_cap is not None:
            caps.append((length_cap, "answer too short to support a higher score"))
        score, notes = raw.score, []
        for cap, why in caps:
            if score > cap:
                score = cap
                notes.append(f"capped at {cap}: {why}")
        rationale = raw.rationale if not notes else " ".join([raw.rationale, f"({'; '.join(notes)})"]).strip()
        grounded.append(DimensionScore(dimension=dim.key, score=score, evidence=kept, rationale=rationale))
    return Grounded(grounded, ["addressed_evaluator"] if addressed_evaluator else [])


def _quoted(quote: str, haystack: str) -> bool:
    needle = normalize_for_match(quote).strip("\"' .,")
    return len(needle) >= MIN_QUOTE_CHARS and needle in haystack
