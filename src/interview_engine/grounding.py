"""Holds every evaluator to the same rules, whatever model produced the scores.

- The evaluator is sent the answer without the sentences addressed to it (``injection.screen_answer``):
  they cannot ask for a score, supply evidence or make an answer long enough to escape the short-answer
  caps, and the evaluation is flagged so the recruiter sees the attempt. An answer made only of such text
  is not sent; it scores 0.
- Each rubric dimension must be scored; a score card missing one is rejected.
- Evidence must be quoted verbatim from what the evaluator was sent and read (case, white space, quote
  style and invisible characters aside), in whole words: a quote starts at the start of a word and ends
  at the end of one, or where Korean attaches a particle or an ending ("복합 인덱스" in "복합 인덱스를",
  "EXPLAIN ANALYZE" in "EXPLAIN ANALYZE로").
  It must carry meaning: at least ``MIN_QUOTE_WEIGHT`` letters or digits, a Hangul syllable counting
  ``HANGUL_SYLLABLE_WEIGHT`` (four syllables, "복합 인덱스"), and at least ``MIN_QUOTE_WORDS`` words unless
  it has Hangul ("sharding" alone, "sha" in "sharding" and "the plan" are not evidence). A quote that is
  not evidence is dropped and caps that dimension's score.
- A dimension left with no evidence is capped lower still.
- Very short answers are capped, whatever the model thought of them.
- An evaluator that read only the beginning of the answer (``ScoreCard.read_chars``) is flagged
  ``answer_truncated``, and each rationale says how much it read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import anyio
from pydantic import BaseModel

from .errors import EvaluationFailed
from .injection import Screened, screen_answer
from .models import (
    Answer,
    DimensionScore,
    EvaluationFlag,
    EvaluationRequest,
    InterviewSpec,
    Question,
    ScoreCard,
)
from .providers import Evaluator
from .textnorm import fold

INVENTED_QUOTE_CAP = 50
NO_EVIDENCE_CAP = 30
SHORT_ANSWER_WORDS = 12
SHORT_ANSWER_CAP = 30
TRIVIAL_ANSWER_WORDS = 4
TRIVIAL_ANSWER_CAP = 10
MIN_QUOTE_WORDS = 2
MIN_QUOTE_WEIGHT = 8
HANGUL_SYLLABLE_WEIGHT = 2
NOTHING_TO_SCORE = "The answer holds only text addressed to the evaluator; nothing in it answers the question."


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
    """Scores that passed the rules, what the rules noticed about the answer, and the evaluator's feedback."""

    scores: list[DimensionScore]
    flags: list[EvaluationFlag]
    feedback: str = field(default="")


def evaluation_request(
    spec: InterviewSpec, question: Question, answer: Answer, screened: Screened
) -> EvaluationRequest:
    """What an evaluator is sent for ``answer``: its screened content (see ``EvaluationRequest``)."""
    return EvaluationRequest(spec=spec, question=question, answer=answer.model_copy(update={"text": screened.content}),
                             removed_sentences=len(screened.removed))


async def grade(evaluator: Evaluator, spec: InterviewSpec, question: Question, answer: Answer) -> Grounded:
    """Screen ``answer``, have ``evaluator`` score what is left, and hold its scores to the rules.

    Raises EvaluationFailed (a missing dimension) and whatever the evaluator raises."""
    screened = await anyio.to_thread.run_sync(screen_answer, answer.text)
    if not screened.content.strip():
        scores = [DimensionScore(dimension=d.key, score=0, rationale=NOTHING_TO_SCORE) for d in spec.rubric]
        return Grounded(scores, ["addressed_evaluator"], NOTHING_TO_SCORE)
    card = checked_card(await evaluator.evaluate(evaluation_request(spec, question, answer, screened)))
    return ground_scores(card, spec, answer.text)  # screening remembered: no second pass


def checked_card(output: object) -> ScoreCard:
    """Validate what an evaluator returned, all the way down: a card built without validation
    (``model_construct``) may carry text the store cannot hold, or no feedback at all."""
    data = output.model_dump(warnings=False) if isinstance(output, BaseModel) else output
    return ScoreCard.model_validate(data)


def ground_scores(card: ScoreCard, spec: InterviewSpec, answer_text: str) -> Grounded:
    """Check a score card against the rubric and the answer (as stored); returns the scores to record.

    Raises EvaluationFailed when a rubric dimension is missing.
    """
    by_key = {s.dimension: s for s in card.scores}
    missing = [d.key for d in spec.rubric if d.key not in by_key]
    if missing:
        raise EvaluationFailed(f"evaluator did not score rubric dimensions: {', '.join(missing)}")
    screened = screen_answer(answer_text)
    content = screened.content
    truncated = card.read_chars is not None and card.read_chars < len(content)
    haystack = fold(content[:card.read_chars] if truncated else content)
    length_cap = answer_cap(content)
    read_note = f"the evaluator read the first {card.read_chars:,} of {len(content):,} characters" if truncated else ""
    grounded = []
    for dim in spec.rubric:
        raw = by_key[dim.key]
        kept = [q for q in raw.evidence if is_evidence(q, haystack)]
        caps: list[tuple[int, str]] = []
        if len(kept) < len(raw.evidence):
            caps.append((INVENTED_QUOTE_CAP, "evidence not found in the answer was dropped"))
        if not kept:
            caps.append((NO_EVIDENCE_CAP, "no evidence quoted from the answer"))
        if length_cap is not None:
            caps.append((length_cap, "answer too short to support a higher score"))
        score, notes = raw.score, [read_note] if read_note else []
        for cap, why in caps:
            if score > cap:
                score = cap
                notes.append(f"capped at {cap}: {why}")
        rationale = raw.rationale if not notes else " ".join([raw.rationale, f"({'; '.join(notes)})"]).strip()
        grounded.append(DimensionScore(dimension=dim.key, score=score, evidence=kept, rationale=rationale))
    flags: list[EvaluationFlag] = ["addressed_evaluator"] if screened.flagged else []
    if truncated:
        flags.append("answer_truncated")
    return Grounded(grounded, flags, card.feedback)


def is_evidence(quote: str, haystack: str) -> bool:
    """Whether ``quote`` is evidence from ``haystack`` (folded text, ``textnorm.fold``): whole words, long
    enough to carry meaning (see the module docstring)."""
    needle = _trim(fold(quote))
    if not carries_meaning(needle):
        return False
    end = "" if _is_hangul(needle[-1]) else r"(?![^\W\uac00-\ud7a3])"  # no Latin letter or digit next
    return re.search(rf"(?<!\w){re.escape(needle)}{end}", haystack) is not None


def carries_meaning(quote: str) -> bool:
    """At least ``MIN_QUOTE_WEIGHT`` letters or digits (a Hangul syllable counts double) and, without
    Hangul, at least ``MIN_QUOTE_WORDS`` words."""
    syllables = sum(_is_hangul(c) for c in quote)
    weight = syllables * HANGUL_SYLLABLE_WEIGHT + sum(c.isalnum() and not _is_hangul(c) for c in quote)
    return weight >= MIN_QUOTE_WEIGHT and (syllables > 0 or len(quote.split()) >= MIN_QUOTE_WORDS)


def _trim(text: str) -> str:
    """``text`` without the punctuation and quote marks around it."""
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def _is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3"
