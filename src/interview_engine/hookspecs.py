"""Every hook a plugin can implement. Each docstring here is that hook's documentation:
``scripts/gen_docs.py`` writes them into docs/plugins.md.

Register hooks add providers: they receive a ``register(name, factory)`` callable, where ``factory``
builds the provider from keyword options taken from settings (``evaluator_options`` and so on). A
factory's module, and the heavy libraries it imports, load when the engine first builds the provider if
it is registered as ``plugin_api.lazy_factory("package.module:Name")``; discovering a plugin stays cheap.

Lifecycle hooks observe an interview. They are called through pluggy, so ``tryfirst``, ``trylast`` and
hook wrappers work. An implementation may be ``async def`` or return None or an awaitable; the engine
awaits it. Plain functions run in a worker thread, never on the event loop. An exception in a lifecycle
hook is logged with its plugin's name and does not stop the interview or the other implementations.
Implementations may take any subset of the arguments, by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # annotations only: importing the hooks (every plugin does) loads no models
    from .models import Answer, Evaluation, Interview, Question, Report

PROJECT = "interview_engine"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_question_sources(register: Any) -> None:
    """Register QuestionSource factories: ``register("bank", QuestionBankSource)``.

    Selected by the ``question_source`` setting (default ``bank``, the built-in question bank). The engine
    adds the recruiter's custom questions itself, word for word, and bounds follow-ups per question
    (``InterviewSpec.max_follow_ups``); a source that fails on a follow-up is logged and the interview
    moves on.
    """


@hookspec
def register_evaluators(register: Any) -> None:
    """Register Evaluator factories: ``register("gguf", gguf_evaluator)``.

    Selected by the ``evaluator`` setting; with none configured, answers are recorded and reports say that
    nothing was scored. The engine holds every evaluator to the same evidence rules
    (``interview_engine.grounding``): quotes not found in the answer in whole words, or carrying too little,
    are dropped and cap that dimension's score; a dimension without evidence is capped; a missing
    dimension fails the evaluation. Evaluations run as background jobs, at least once, so ``evaluate``
    must have no side effects of its own.
    """


@hookspec
def register_transcribers(register: Any) -> None:
    """Register Transcriber factories: ``register("deepgram", lazy_factory("my_plugin.live:Transcriber"))``.

    Selected by the ``transcriber`` setting (``auto``: the first installed of faster_whisper and
    pocketsphinx). The engine creates it on first use (``Engine.transcriber()``), not at start.
    """


@hookspec
def register_emotion_analyzers(register: Any) -> None:
    """Register EmotionAnalyzer factories: ``register("fer_lite", lazy_factory("my_plugin.model:Analyzer"))``.

    Selected by the ``emotion_analyzer`` setting (``auto``: fer_lite when installed); created on first use
    and used only for interviews whose spec opts in. Its readings are shown apart in the report and never
    change a score.
    """


@hookspec
def register_stores(register: Any) -> None:
    """Register Store factories: ``register("sql", SQLStore)``. A factory receives ``url=`` (the
    ``database_url`` setting) and the ``store_options``.

    Selected by the ``store`` setting (default ``sql``: SQLite, or Postgres through a
    ``postgresql+asyncpg://`` URL).
    """


@hookspec
def on_session_started(interview: Interview, questions: list[Question]) -> Any:
    """Once per interview, after it and its planned questions are stored.

    Runs in the process that called ``Engine.start``.
    """


@hookspec
def after_question_asked(interview: Interview, question: Question) -> Any:
    """Each time a question becomes the current one: the first, each next one, each follow-up.

    Runs in the process that called ``Engine.start`` (the first question) or ``Session.answer`` (the rest).
    """


@hookspec
def after_answer_recorded(interview: Interview, question: Question, answer: Answer) -> Any:
    """After an answer, its pending evaluation and its evaluation job are stored (in one transaction) and
    the job is handed to the job runner; before any follow-up is decided.

    Runs in the process that called ``Session.answer``.
    """


@hookspec
def after_answer_evaluated(interview: Interview, answer: Answer, evaluation: Evaluation) -> Any:
    """When an answer's evaluation settles as ``done`` or ``failed``.

    Once per answer at most: only the job run whose result is stored calls it; a retried job that finds the
    evaluation settled does not. A process that dies between storing the evaluation and calling the hook
    does not call it. Runs where the evaluation job runs: an engine's in-process job runner (the engine
    that recorded the answer, or any engine on the same database whose outbox sweep picks the job up) or an
    ``interview-engine worker`` process (``jobs = "arq"``).
    """


@hookspec
def on_session_finished(interview: Interview, report: Report) -> Any:
    """Once per interview, after it is finished and its report stored; the report waits for the last
    pending evaluation to settle. Deliver webhooks here.

    Runs where the report is built: in the process that called ``Session.finish`` when no evaluation was
    pending; else where the last evaluation settled (a job runner or ``interview-engine worker``, as for
    ``after_answer_evaluated``); or in ``Engine.resume`` of a finished interview whose report was missing.
    """


@hookspec
def on_session_paused(interview: Interview) -> Any:
    """When an interview moves from in progress to paused (``Session.pause``); not when it was already
    paused. No answer is accepted, from any session or process, until it is unpaused; ``finish`` still
    works.

    Runs in the process that called ``Session.pause``.
    """


@hookspec
def on_session_unpaused(interview: Interview) -> Any:
    """When a paused interview moves back to in progress (``Session.unpause``); not when it was not paused.

    Runs in the process that called ``Session.unpause``.
    """


PROVIDER_HOOKS: dict[str, str] = {
    "question_source": "register_question_sources",
    "evaluator": "register_evaluators",
    "transcriber": "register_transcribers",
    "emotion_analyzer": "register_emotion_analyzers",
    "store": "register_stores",
}
"""Provider family -> the register hook that fills it."""
