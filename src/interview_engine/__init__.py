"""interview-engine: an embeddable AI interview engine.

    from interview_engine import Engine

    async with Engine() as engine:
        session = await engine.start({"role": "backend engineer", "level": "mid", "language": "en"})
        while (question := session.current_question) is not None:
            await session.answer(question.id, input(question.text + "\n> "))
        await session.finish()
        print((await session.report()).model_dump_json(indent=2))
"""

from .engine import Engine
from .errors import (
    AnswerAlreadyRecorded,
    ConfigurationError,
    EvaluationFailed,
    IllegalTransition,
    InterviewEngineError,
    InterviewNotFound,
    InvalidAnswer,
    InvalidQuery,
    InvalidSpec,
    InvalidTenant,
    ModelNotFound,
    ProviderError,
    ReportNotReady,
    UnknownPlugin,
    UnknownProvider,
    WrongQuestion,
)
from .hookspecs import hookimpl
from .models import (
    DEFAULT_RUBRIC,
    Answer,
    DimensionScore,
    EmotionReading,
    EmotionSample,
    Evaluation,
    EvaluationRequest,
    FaceBox,
    FaceEmotion,
    FollowUpRequest,
    Interview,
    InterviewPage,
    InterviewSpec,
    InterviewSummary,
    Question,
    QuestionDraft,
    QuestionPlanRequest,
    Report,
    RubricDimension,
    ScoreCard,
    Transcript,
    TranscriptEvent,
    TranscriptionOptions,
    TranscriptSegment,
)
from .providers import EmotionAnalyzer, Evaluator, QuestionSource, Transcriber
from .session import Session
from .settings import Settings, load_settings

__all__ = [
    "DEFAULT_RUBRIC",
    "Answer",
    "AnswerAlreadyRecorded",
    "ConfigurationError",
    "DimensionScore",
    "EmotionAnalyzer",
    "EmotionReading",
    "EmotionSample",
    "Engine",
    "Evaluation",
    "EvaluationFailed",
    "EvaluationRequest",
    "Evaluator",
    "FaceBox",
    "FaceEmotion",
    "FollowUpRequest",
    "IllegalTransition",
    "Interview",
    "InterviewEngineError",
    "InterviewNotFound",
    "InterviewPage",
    "InterviewSpec",
    "InterviewSummary",
    "InvalidAnswer",
    "InvalidQuery",
    "InvalidSpec",
    "InvalidTenant",
    "ModelNotFound",
    "ProviderError",
    "Question",
    "QuestionDraft",
    "QuestionPlanRequest",
    "QuestionSource",
    "Report",
    "ReportNotReady",
    "RubricDimension",
    "ScoreCard",
    "Session",
    "Settings",
    "Transcriber",
    "Transcript",
    "TranscriptEvent",
    "TranscriptSegment",
    "TranscriptionOptions",
    "UnknownPlugin",
    "UnknownProvider",
    "WrongQuestion",
    "hookimpl",
    "load_settings",
]
