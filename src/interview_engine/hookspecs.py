"""Every hook a plugin can implement. Each docstring here is that hook's documentation.

Register hooks add providers: they receive a ``register(name, factory)`` callable, where ``factory``
builds the provider from keyword options taken from settings (``evaluator_options`` and so on).
Import heavy libraries inside the factory, not at module level, so discovering a plugin stays cheap.

Lifecycle hooks observe an interview. An implementation may return None or an awaitable; the engine
awaits it. An exception in a lifecycle hook is logged and does not stop the interview.
"""

from __future__ import annotations

from typing import Any

import pluggy

from .models import Answer, Evaluation, Interview, Question, Report

PROJECT = "interview_engine"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_question_sources(register: Any) -> None:
    """Register QuestionSource factories: ``register("bank", QuestionBankSource)``.

    Selected by the ``question_source`` setting.
    """


@hookspec
def register_evaluators(register: Any) -> None:
    """Register Evaluator factories: ``register("gguf", GGUFEvaluator)``.

    Selected by the ``evaluator`` setting. With no evaluator configured, reports carry no scores.
    """


@hookspec
def register_transcribers(register: Any) -> None:
    """Register Transcriber factories: ``register("deepgram", DeepgramTranscriber)``.

    Selected by the ``transcriber`` setting.
    """


@hookspec
def register_emotion_analyzers(register: Any) -> None:
    """Register EmotionAnalyzer factories: ``register("fer_lite", FerLiteAnalyzer)``.

    Selected by the ``emotion_analyzer`` setting; used only for interviews whose spec opts in.
    """


@hookspec
def register_stores(register: Any) -> None:
    """Register Store factories: ``register("sql", SQLStore)``. A factory receives ``url=`` and options.

    Selected by the ``store`` setting.
    """


@hookspec
def on_session_started(interview: Interview, questions: list[Question]) -> Any:
    """Called once when an interview has been created and its first questions planned and stored."""


@hookspec
def after_question_asked(interview: Interview, question: Question) -> Any:
    """Called each time a question becomes the current one (the first, the next, or a follow-up)."""


@hookspec
def after_answer_recorded(interview: Interview, question: Question, answer: Answer) -> Any:
    """Called after an answer is durably stored and its evaluation enqueued, before any follow-up."""


@hookspec
def after_answer_evaluated(interview: Interview, answer: Answer, evaluation: Evaluation) -> Any:
    """Called when an answer's evaluation settles as done or failed. Runs in the job runner (maybe
    another process). At-least-once: it may run again if a job is retried."""


@hookspec
def on_session_finished(interview: Interview, report: Report) -> Any:
    """Called once the interview is finished and its report stored (after the last evaluation
    settles). Deliver webhooks here."""


@hookspec
def on_session_paused(interview: Interview) -> Any:
    """Called when an interview moves from in progress to paused (``Session.pause``); not when it was
    already paused. No answer is accepted until it is unpaused."""


@hookspec
def on_session_unpaused(interview: Interview) -> Any:
    """Called when a paused interview moves back to in progress (``Session.unpause``); not when it was
    not paused."""


PROVIDER_HOOKS: dict[str, str] = {
    "question_source": "register_question_sources",
    "evaluator": "register_evaluators",
    "transcriber": "register_transcribers",
    "emotion_analyzer": "register_emotion_analyzers",
    "store": "register_stores",
}
"""Provider family -> the register hook that fills it."""

LIFECYCLE_HOOKS: tuple[str, ...] = (
    "on_session_started",
    "after_question_asked",
    "after_answer_recorded",
    "after_answer_evaluated",
    "on_session_finished",
    "on_session_paused",
    "on_session_unpaused",
)
