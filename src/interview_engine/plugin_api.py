# ruff: noqa: I001  (the re-exports below are grouped by module, one `X as X` per name)
"""The plugin API: everything a plugin may import from the engine, in one stable place.

    from interview_engine.plugin_api import EvaluationRequest, ScoreCard, hookimpl

A plugin imports only from here, from the names the top-level ``interview_engine`` package exports, and
(in its tests) from ``interview_engine.testing`` and ``interview_engine.testing.conformance``. Every other
module of the engine is internal and may change in any release; ``tests/core/test_plugin_api.py`` fails
when a plugin in this repository reaches past this surface. A name missing here that a plugin needs is
added here, with a line in docs/plugins.md, rather than imported from its module.

Names are imported on first use, so ``from interview_engine.plugin_api import hookimpl`` in a plugin's
entry point module keeps discovery cheap (no pydantic models, numpy or model code until they are used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:
    # hooks, and factories imported when first used
    from .hookspecs import hookimpl as hookimpl
    from ._lazy import lazy_factory as lazy_factory
    # what a provider implements
    from .providers import (
        EmotionAnalyzer as EmotionAnalyzer,
        Evaluator as Evaluator,
        Frame as Frame,
        PreparingEvaluator as PreparingEvaluator,
        ProviderFactory as ProviderFactory,
        QuestionSource as QuestionSource,
        Transcriber as Transcriber,
        check_frame as check_frame,
    )
    # stores
    from .store.base import (
        JobRecord as JobRecord,
        LoadingStore as LoadingStore,
        Store as Store,
        load_interview as load_interview,
    )
    from .listing import (
        InterviewQuery as InterviewQuery,
        page_of as page_of,
    )
    from .order import (
        Slot as Slot,
        check_added as check_added,
        check_answer as check_answer,
    )
    from .identifiers import (
        interview_not_found as interview_not_found,
        is_interview_id as is_interview_id,
    )
    # what providers receive and return, and what lifecycle hooks see
    from .models import (
        DEFAULT_RUBRIC as DEFAULT_RUBRIC,
        EMOTIONS as EMOTIONS,
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
        Language as Language,
        Level as Level,
        Question as Question,
        QuestionDraft as QuestionDraft,
        QuestionPlanRequest as QuestionPlanRequest,
        Report as Report,
        RubricDimension as RubricDimension,
        ScoreCard as ScoreCard,
        Transcript as Transcript,
        TranscriptEvent as TranscriptEvent,
        TranscriptSegment as TranscriptSegment,
        TranscriptionOptions as TranscriptionOptions,
        Turn as Turn,
    )
    # typed errors (and pydantic validation errors as one line)
    from .errors import (
        AnswerAlreadyRecorded as AnswerAlreadyRecorded,
        ConfigurationError as ConfigurationError,
        EvaluationFailed as EvaluationFailed,
        IllegalTransition as IllegalTransition,
        InterviewEngineError as InterviewEngineError,
        InterviewNotFound as InterviewNotFound,
        InvalidAudio as InvalidAudio,
        InvalidFrame as InvalidFrame,
        ModelNotFound as ModelNotFound,
        ProviderError as ProviderError,
        TranscriptionError as TranscriptionError,
        validation_message as validation_message,
    )
    # transcribers: 16 kHz mono s16le PCM
    from .media.audio import (
        aligned_pcm16 as aligned_pcm16,
        check_pcm16 as check_pcm16,
        pcm16k_seconds as pcm16k_seconds,
        read_wav as read_wav,
        wav_bytes as wav_bytes,
    )
    from .media.audio_pipeline import sole_error as sole_error
    from .media.endpoint import (
        FRAME_S as FRAME_S,
        EndpointConfig as EndpointConfig,
        Endpointer as Endpointer,
    )
    # emotion analyzers
    from .media.frames_convert import downscale as downscale
    from .media.frames_faces import (
        Box as Box,
        emotion_reading as emotion_reading,
        face_emotion as face_emotion,
    )
    # model plugins: implement ChatBackend, wrap it in LLMQuestionSource and LLMEvaluator
    from .llm import (
        ChatBackend as ChatBackend,
        ChatMessage as ChatMessage,
        Completion as Completion,
        GenerationRequest as GenerationRequest,
        LLMEvaluator as LLMEvaluator,
        LLMQuestionSource as LLMQuestionSource,
        LogprobBackend as LogprobBackend,
        TokenLogprobs as TokenLogprobs,
    )
    from .llm.backend import MAX_TOP_LOGPROBS as MAX_TOP_LOGPROBS
    from .llm.errors import (
        ChecksumMismatch as ChecksumMismatch,
        CorruptModel as CorruptModel,
    )

_EXPORTS: dict[str, tuple[str, ...]] = {
    "interview_engine.hookspecs": ("hookimpl",),
    "interview_engine._lazy": ("lazy_factory",),
    "interview_engine.providers": (
        "EmotionAnalyzer",
        "Evaluator",
        "Frame",
        "PreparingEvaluator",
        "ProviderFactory",
        "QuestionSource",
        "Transcriber",
        "check_frame",
    ),
    "interview_engine.store.base": (
        "JobRecord",
        "LoadingStore",
        "Store",
        "load_interview",
    ),
    "interview_engine.listing": (
        "InterviewQuery",
        "page_of",
    ),
    "interview_engine.order": (
        "Slot",
        "check_added",
        "check_answer",
    ),
    "interview_engine.identifiers": (
        "interview_not_found",
        "is_interview_id",
    ),
    "interview_engine.models": (
        "DEFAULT_RUBRIC",
        "EMOTIONS",
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
        "Language",
        "Level",
        "Question",
        "QuestionDraft",
        "QuestionPlanRequest",
        "Report",
        "RubricDimension",
        "ScoreCard",
        "Transcript",
        "TranscriptEvent",
        "TranscriptSegment",
        "TranscriptionOptions",
        "Turn",
    ),
    "interview_engine.errors": (
        "AnswerAlreadyRecorded",
        "ConfigurationError",
        "EvaluationFailed",
        "IllegalTransition",
        "InterviewEngineError",
        "InterviewNotFound",
        "InvalidAudio",
        "InvalidFrame",
        "ModelNotFound",
        "ProviderError",
        "TranscriptionError",
        "validation_message",
    ),
    "interview_engine.media.audio": (
        "aligned_pcm16",
        "check_pcm16",
        "pcm16k_seconds",
        "read_wav",
        "wav_bytes",
    ),
    "interview_engine.media.audio_pipeline": ("sole_error",),
    "interview_engine.media.endpoint": (
        "FRAME_S",
        "EndpointConfig",
        "Endpointer",
    ),
    "interview_engine.media.frames_convert": ("downscale",),
    "interview_engine.media.frames_faces": (
        "Box",
        "emotion_reading",
        "face_emotion",
    ),
    "interview_engine.llm": (
        "ChatBackend",
        "ChatMessage",
        "Completion",
        "GenerationRequest",
        "LLMEvaluator",
        "LLMQuestionSource",
        "LogprobBackend",
        "TokenLogprobs",
    ),
    "interview_engine.llm.backend": ("MAX_TOP_LOGPROBS",),
    "interview_engine.llm.errors": (
        "ChecksumMismatch",
        "CorruptModel",
    ),
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(name for names in _EXPORTS.values() for name in names)
