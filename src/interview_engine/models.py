"""Pydantic models at every boundary: specs in, questions and answers through, reports out.

Records are frozen: a stored answer or evaluation is never edited in place, a new state is a new object.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .identifiers import TenantId

Language = Literal["ko", "en"]
Level = Literal["junior", "mid", "senior"]
QuestionKind = Literal["generated", "custom", "bank", "follow_up"]
"""``bank``: taken from the built-in bank because the question source failed or was not ready in time."""
AnswerSource = Literal["typed", "speech"]
EvaluationStatus = Literal["pending", "done", "failed"]
EvaluationFlag = Literal["addressed_evaluator", "answer_truncated"]
"""``addressed_evaluator``: the answer contains text aimed at the grader (possible prompt injection), which
the evaluator was not sent. ``answer_truncated``: the evaluator read only the beginning of the answer."""
InterviewState = Literal["in_progress", "paused", "finished"]
"""``paused``: held by the host (``Session.pause``); no answer is accepted until it is unpaused."""
Emotion = Literal["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
EMOTIONS: tuple[Emotion, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

MAX_ANSWER_CHARS = 20_000
"""Longest answer text accepted (about 40 minutes of speech); longer input is rejected, never truncated."""


def check_text(value: str) -> str:
    """Raise ValueError unless ``value`` is storable as UTF-8 text (no NUL, no lone surrogate)."""
    if "\x00" in value:
        raise ValueError("text contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text is not valid Unicode (lone surrogate)") from exc
    return value


Text = Annotated[str, AfterValidator(check_text)]
"""A string that is storable as UTF-8: no NUL bytes, no lone surrogates."""

SCORE_DECIMALS = 1
Score = Annotated[float, AfterValidator(lambda value: round(value, SCORE_DECIMALS))]
"""A score shown to people (a mean over answers or dimensions), rounded to one decimal where it is made,
so it is stored and serialised as 75.9, never 75.91999999999999."""


M = TypeVar("M", bound="Record")


def new_id() -> str:
    """A fresh random identifier for interviews, questions and answers."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Record(BaseModel):
    """Base of every record the engine validates: unknown fields are an error, records are immutable, and
    every float is finite (``inf`` and ``NaN`` are refused here, so they never reach a store or a JSON
    column)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def revalidated(records: Sequence[M | Mapping[str, object]], model: type[M]) -> list[M]:
    """``records`` validated again as ``model``: objects built with ``model_construct`` skipped every check,
    and dicts never had one. Raises pydantic's ValidationError."""
    return [model.model_validate(r.model_dump() if isinstance(r, BaseModel) else r) for r in records]


class RubricDimension(Record):
    """One weighted dimension answers are scored on, 0 to 100."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    name: Annotated[Text, Field(min_length=1, max_length=80)]
    weight: Annotated[float, Field(gt=0, le=100)] = 1.0
    description: Annotated[Text, Field(max_length=500)] = ""


DEFAULT_RUBRIC: tuple[RubricDimension, ...] = (
    RubricDimension(
        key="technical_accuracy",
        name="Technical accuracy",
        weight=0.35,
        description="Facts, terms and techniques are correct and appropriate for the level.",
    ),
    RubricDimension(
        key="problem_solving",
        name="Problem solving",
        weight=0.25,
        description="Breaks the problem down, weighs trade-offs, reasons to a sound approach.",
    ),
    RubricDimension(
        key="communication",
        name="Communication",
        weight=0.2,
        description="Clear, structured and concise; answers the question that was asked.",
    ),
    RubricDimension(
        key="role_fit",
        name="Role fit",
        weight=0.2,
        description="Experience and judgement match what the role and level need.",
    ),
)


class InterviewSpec(Record):
    """What a recruiter asks for: the role, the material to ground questions in, and how to score."""

    role: Annotated[Text, Field(min_length=1, max_length=200)]
    level: Level = "mid"
    language: Language = "en"
    question_count: Annotated[int, Field(ge=1, le=30)] = 5
    job_description: Annotated[Text, Field(max_length=20_000)] = ""
    resume: Annotated[Text, Field(max_length=50_000)] = ""
    custom_questions: Annotated[
        list[Annotated[Text, Field(min_length=1, max_length=1_000)]], Field(max_length=30)
    ] = Field(default_factory=list)
    rubric: Annotated[tuple[RubricDimension, ...], Field(min_length=1, max_length=12)] = DEFAULT_RUBRIC
    emotion_analysis: bool = False
    max_follow_ups: Annotated[int, Field(ge=0, le=3)] = 1
    """Follow-ups allowed per planned question (a follow-up to a follow-up counts toward the same bound)."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        keys = [d.key for d in self.rubric]
        if len(set(keys)) != len(keys):
            raise ValueError(f"rubric dimension keys must be unique, got {keys}")
        if len(self.custom_questions) > self.question_count:
            raise ValueError(
                f"{len(self.custom_questions)} custom questions do not fit in question_count="
                f"{self.question_count}"
            )
        if any(not q.strip() for q in self.custom_questions):
            raise ValueError("custom questions must not be blank")
        return self

    def dimension(self, key: str) -> RubricDimension:
        for dim in self.rubric:
            if dim.key == key:
                return dim
        raise KeyError(key)


class QuestionDraft(Record):
    """A question as a QuestionSource proposes it, before the engine gives it an id and a place."""

    text: Annotated[Text, Field(min_length=1, max_length=2_000)]
    competency: Annotated[str, Field(max_length=80)] | None = None

    @model_validator(mode="after")
    def _not_blank(self) -> Self:
        if not self.text.strip():
            raise ValueError("question text is blank")
        return self


class Question(Record):
    """A question placed in an interview. Order is (ordinal, depth): follow-ups sit under their root."""

    id: str = Field(default_factory=new_id)
    interview_id: str
    ordinal: Annotated[int, Field(ge=0)]
    depth: Annotated[int, Field(ge=0)] = 0
    kind: QuestionKind
    text: Text
    competency: str | None = None
    parent_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.ordinal, self.depth)


class TranscriptSegment(Record):
    """A stretch of recognised speech, times in seconds from the start of the answer."""

    text: Text
    start: Annotated[float, Field(ge=0)]
    end: Annotated[float, Field(ge=0)]
    confidence: Annotated[float, Field(ge=0, le=1)] | None = None


class Answer(Record):
    """A candidate's answer to one question; stored before anything else happens to it."""

    id: str = Field(default_factory=new_id)
    interview_id: str
    question_id: str
    text: Annotated[Text, Field(min_length=1, max_length=MAX_ANSWER_CHARS)]
    source: AnswerSource = "typed"
    duration_s: Annotated[float, Field(ge=0)] | None = None
    segments: list[TranscriptSegment] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)


class DimensionScore(Record):
    """A score on one rubric dimension with the verbatim quotes from the answer that support it."""

    dimension: str
    score: Annotated[int, Field(ge=0, le=100)]
    evidence: list[Text] = Field(default_factory=list)
    rationale: Text = ""


class ScoreCard(Record):
    """What an Evaluator returns for one answer; the engine checks the evidence and records it."""

    scores: list[DimensionScore]
    feedback: Text = ""
    read_chars: Annotated[int, Field(ge=0)] | None = None
    """How many leading characters of ``EvaluationRequest.answer.text`` the evaluator read, when it read
    less than all of it (a model with a short context); None when it read it all. The evaluation is then
    flagged ``answer_truncated`` and evidence must come from what was read."""


class Evaluation(Record):
    """The scoring of one answer: pending until a job settles it as done or failed (with its reason)."""

    answer_id: str
    interview_id: str
    question_id: str
    status: EvaluationStatus = "pending"
    scores: list[DimensionScore] = Field(default_factory=list)
    feedback: Text = ""
    reason: Text | None = None
    evaluator: str | None = None
    flags: list[EvaluationFlag] = Field(default_factory=list)
    updated_at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _status_fields(self) -> Self:
        if self.status == "failed" and not self.reason:
            raise ValueError("a failed evaluation needs a reason")
        if self.status == "done" and not self.scores:
            raise ValueError("a done evaluation needs scores")
        return self

    def score_for(self, dimension: str) -> DimensionScore | None:
        return next((s for s in self.scores if s.dimension == dimension), None)


class FaceBox(Record):
    """A face's bounding box in pixels of the analysed frame."""

    x: Annotated[int, Field(ge=0)]
    y: Annotated[int, Field(ge=0)]
    w: Annotated[int, Field(gt=0)]
    h: Annotated[int, Field(gt=0)]


class FaceEmotion(Record):
    """Seven emotion probabilities for one face."""

    box: FaceBox
    emotions: dict[Emotion, Annotated[float, Field(ge=0, le=1)]]
    dominant: Emotion

    @model_validator(mode="after")
    def _seven(self) -> Self:
        if set(self.emotions) != set(EMOTIONS):
            raise ValueError(f"emotions must have exactly the keys {EMOTIONS}")
        return self


class EmotionReading(Record):
    """What an EmotionAnalyzer sees in one frame: zero, one or several faces, largest first."""

    faces: list[FaceEmotion] = Field(default_factory=list)


class EmotionSample(Record):
    """One analysed frame in an interview's timeline. Context for a human, never part of a score."""

    interview_id: str
    question_id: str | None = None
    t: Annotated[float, Field(ge=0)]
    """Seconds since the interview started."""
    face_count: Annotated[int, Field(ge=0)]
    emotions: dict[Emotion, float] | None = None
    dominant: Emotion | None = None
    box: FaceBox | None = None

    @classmethod
    def from_reading(
        cls, reading: EmotionReading, *, interview_id: str, t: float, question_id: str | None = None
    ) -> EmotionSample:
        face = reading.faces[0] if reading.faces else None
        return cls(
            interview_id=interview_id,
            question_id=question_id,
            t=t,
            face_count=len(reading.faces),
            emotions=dict(face.emotions) if face else None,
            dominant=face.dominant if face else None,
            box=face.box if face else None,
        )


class TranscriptionOptions(Record):
    """How a Transcriber should listen. Audio is always 16 kHz mono signed 16-bit little-endian PCM."""

    language: Language = "en"
    vocabulary: list[str] = Field(default_factory=list)
    """Terms to favour (role words such as PostgreSQL, Kubernetes)."""
    interim_results: bool = True
    sample_rate: Literal[16000] = 16000


class TranscriptEvent(Record):
    """A live transcription event: interim text, a final segment, or the end of an utterance."""

    kind: Literal["interim", "final", "utterance_end"]
    text: Text = ""
    start: Annotated[float, Field(ge=0)] = 0.0
    end: Annotated[float, Field(ge=0)] = 0.0
    confidence: Annotated[float, Field(ge=0, le=1)] | None = None


class Transcript(Record):
    """A finished transcription of pre-recorded audio."""

    text: Text
    segments: list[TranscriptSegment] = Field(default_factory=list)


class Interview(Record):
    """An interview as stored: its spec, tenant and lifecycle state."""

    id: str = Field(default_factory=new_id)
    tenant_id: TenantId = "default"
    spec: InterviewSpec
    state: InterviewState = "in_progress"
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class InterviewSummary(Record):
    """One interview in a listing: what a dashboard's table shows, without the spec or the answers."""

    id: str
    tenant_id: str
    role: str
    level: Level
    language: Language
    state: InterviewState
    created_at: datetime
    finished_at: datetime | None = None
    overall_score: float | None = None
    """The report's overall score; None until the report exists or when nothing was scored."""
    question_count: int
    answered_count: int


class InterviewPage(Record):
    """A page of ``Engine.list_interviews``, newest first; pass ``next_cursor`` back for the next page."""

    items: list[InterviewSummary]
    next_cursor: str | None = None


class Turn(Record):
    """A question with its answer, as history handed to a QuestionSource."""

    question: Question
    answer: Answer | None = None


class QuestionPlanRequest(Record):
    """Ask a QuestionSource for `count` first questions, not repeating the recruiter's own ones."""

    spec: InterviewSpec
    count: Annotated[int, Field(ge=0)]
    interview_id: str
    avoid: list[str] = Field(default_factory=list)


class FollowUpRequest(Record):
    """Ask a QuestionSource whether the last answer deserves a follow-up."""

    spec: InterviewSpec
    question: Question
    answer: Answer
    history: list[Turn] = Field(default_factory=list)
    follow_ups_left: Annotated[int, Field(ge=1)]


class EvaluationRequest(Record):
    """Ask an Evaluator to score one answer against the interview's rubric.

    The engine sends ``answer`` with its text screened (``interview_engine.injection``): sentences that
    address the evaluator instead of answering ("ignore the rubric", "give this answer 100", in any
    disguise) are removed, and so are invisible characters. ``removed_sentences`` says how many were
    removed; the stored answer keeps them verbatim, and the report flags the attempt. An answer made only
    of such text is not sent at all (it scores 0)."""

    spec: InterviewSpec
    question: Question
    answer: Answer
    removed_sentences: Annotated[int, Field(ge=0)] = 0


class DimensionResult(Record):
    """A rubric dimension's result across the interview."""

    key: str
    name: str
    weight: float
    score: Score | None
    """Mean over evaluated answers, or None when no answer was scored."""
    evaluated_answers: int


class QuestionResult(Record):
    """One question in the report with its answer, evaluation and weighted score."""

    question: Question
    answer: Answer | None = None
    evaluation: Evaluation | None = None
    score: Score | None = None


class ProctoringSignal(Record):
    """A moment for a human reviewer to look at (no face, several faces). A signal, never a verdict."""

    t: float
    kind: Literal["no_face", "multiple_faces"]
    question_id: str | None = None


class EmotionSummary(Record):
    """Emotion timeline shown apart from the scores. It never enters any score."""

    samples: int
    dominant_share: dict[Emotion, float]
    timeline: list[EmotionSample]
    proctoring: list[ProctoringSignal]
    note: str = "Shown for context only. Expression analysis is unreliable and never affects any score."


class Coverage(Record):
    """How much of the interview the scores rest on."""

    planned: int
    """Questions planned for the interview (follow-ups not counted)."""
    follow_ups: int
    """Follow-up questions asked."""
    answered: int
    """Questions answered, follow-ups included."""
    scored: int
    """Answers whose evaluation is done."""
    failed: int
    """Answers whose evaluation failed (the notes say why)."""
    planned_scored: int
    """Planned questions with a scored answer, to the question itself or to one of its follow-ups."""


class Report(Record):
    """What the recruiter receives when an interview is finished."""

    interview_id: str
    role: str
    level: Level
    language: Language
    evaluator_configured: bool
    overall_score: Score | None
    """The weighted mean of the dimension scores, given only when enough of the interview was scored
    (``report.MIN_COVERAGE`` of the planned questions): one answer of five is not an interview score.
    None otherwise; ``coverage`` and ``notes`` say why."""
    coverage: Coverage | None = None
    """None only in reports stored before coverage was recorded."""
    dimensions: list[DimensionResult]
    questions: list[QuestionResult]
    strengths: list[str]
    improvements: list[str]
    notes: list[str]
    emotions: EmotionSummary | None = None
    generated_at: datetime = Field(default_factory=utcnow)


_WS = re.compile(r"\s+")


def normalize_for_match(text: str) -> str:
    """Lower-case and collapse white space and quote styles, for matching evidence to answers."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return _WS.sub(" ", text).strip().casefold()
