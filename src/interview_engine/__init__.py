# ruff: noqa: I001  (the re-exports below are grouped by module, one `X as X` per name)
"""interview-engine: an embeddable AI interview engine.

    from interview_engine import Engine

    async with Engine() as engine:
        session = await engine.start({"role": "backend engineer", "level": "mid", "language": "en"})
        while (question := session.current_question) is not None:
            await session.answer(question.id, input(question.text + "\n> "))
        await session.finish()
        print((await session.report()).model_dump_json(indent=2))

Names are imported on first use, so ``import interview_engine`` stays cheap; plugins find their surface in
``interview_engine.plugin_api``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:
    from .engine import Engine as Engine
    from .errors import (
        AnswerAlreadyRecorded as AnswerAlreadyRecorded,
        ConfigurationError as ConfigurationError,
        EvaluationFailed as EvaluationFailed,
        IllegalTransition as IllegalTransition,
        InterviewEngineError as InterviewEngineError,
        InterviewNotFound as InterviewNotFound,
        InvalidAnswer as InvalidAnswer,
        InvalidQuery as InvalidQuery,
        InvalidSample as InvalidSample,
        InvalidSpec as InvalidSpec,
        InvalidTenant as InvalidTenant,
        ModelNotFound as ModelNotFound,
        ProviderError as ProviderError,
        ReportNotReady as ReportNotReady,
        UnknownPlugin as UnknownPlugin,
        UnknownProvider as UnknownProvider,
        WrongQuestion as WrongQuestion,
        validation_message as validation_message,
    )
    from .hookspecs import hookimpl as hookimpl
    from .models import (
        DEFAULT_RUBRIC as DEFAULT_RUBRIC,
        Answer as Answer,
        DimensionScore as DimensionScore,
        EmotionReading as EmotionReading,
        EmotionSample as EmotionSample,
        Evaluation as Evaluation,
        EvaluationRequest as EvaluationRequest,
        FaceBox as FaceBox,
        FaceEmotion as FaceEmotion,
        FollowUpRequest as FollowUpRequest,
        Interview as Interview,
        InterviewPage as InterviewPage,
        InterviewSpec as InterviewSpec,
        InterviewSummary as InterviewSummary,
        Question as Question,
        QuestionDraft as QuestionDraft,
        QuestionPlanRequest as QuestionPlanRequest,
        Report as Report,
        RubricDimension as RubricDimension,
        ScoreCard as ScoreCard,
        Transcript as Transcript,
        TranscriptEvent as TranscriptEvent,
        TranscriptionOptions as TranscriptionOptions,
        TranscriptSegment as TranscriptSegment,
    )
    from .providers import (
        EmotionAnalyzer as EmotionAnalyzer,
        Evaluator as Evaluator,
        QuestionSource as QuestionSource,
        Transcriber as Transcriber,
    )
    from .session import Session as Session
    from .settings import (
        Settings as Settings,
        load_settings as load_settings,
    )

_EXPORTS: dict[str, tuple[str, ...]] = {
    "interview_engine.engine": ("Engine",),
    "interview_engine.errors": (
        "AnswerAlreadyRecorded",
        "ConfigurationError",
        "EvaluationFailed",
        "IllegalTransition",
        "InterviewEngineError",
        "InterviewNotFound",
        "InvalidAnswer",
        "InvalidQuery",
        "InvalidSample",
        "InvalidSpec",
        "InvalidTenant",
        "ModelNotFound",
        "ProviderError",
        "ReportNotReady",
        "UnknownPlugin",
        "UnknownProvider",
        "WrongQuestion",
        "validation_message",
    ),
    "interview_engine.hookspecs": ("hookimpl",),
    "interview_engine.models": (
        "DEFAULT_RUBRIC",
        "Answer",
        "DimensionScore",
        "EmotionReading",
        "EmotionSample",
        "Evaluation",
        "EvaluationRequest",
        "FaceBox",
        "FaceEmotion",
        "FollowUpRequest",
        "Interview",
        "InterviewPage",
        "InterviewSpec",
        "InterviewSummary",
        "Question",
        "QuestionDraft",
        "QuestionPlanRequest",
        "Report",
        "RubricDimension",
        "ScoreCard",
        "Transcript",
        "TranscriptEvent",
        "TranscriptionOptions",
        "TranscriptSegment",
    ),
    "interview_engine.providers": (
        "EmotionAnalyzer",
        "Evaluator",
        "QuestionSource",
        "Transcriber",
    ),
    "interview_engine.session": ("Session",),
    "interview_engine.settings": (
        "Settings",
        "load_settings",
    ),
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(name for names in _EXPORTS.values() for name in names)
