"""Typed exceptions. Every error a user can cause has its own class and a one-line message."""

from __future__ import annotations

from pydantic import ValidationError

from .text import storable_text

MAX_SUMMARY_CHARS = 500


class InterviewEngineError(Exception):
    """Base class of every error the SDK raises on purpose."""


class ConfigurationError(InterviewEngineError):
    """Settings are invalid or name something that does not exist."""


class InvalidTenant(ConfigurationError):
    """A tenant id is not a non-empty string of at most 64 printable characters without surrounding spaces.

    Tenants come from the host's own records (an API key's tenant), so a bad one is a host error."""


class UnknownPlugin(ConfigurationError):
    """`INTERVIEW_ENGINE_PLUGINS` names a plugin that is not installed."""


class UnknownProvider(ConfigurationError):
    """Settings name a provider that no loaded plugin registers."""

    def __init__(self, family: str, name: str, available: list[str]) -> None:
        choices = ", ".join(sorted(available)) or "none"
        super().__init__(f"no {family} named {name!r} is registered (available: {choices})")
        self.family, self.name, self.available = family, name, available


class ProviderError(InterviewEngineError):
    """A provider could not be created or failed in a way the engine reports."""


class ModelNotFound(ProviderError):
    """A model file or package could not be located."""


class InvalidSpec(InterviewEngineError):
    """An interview spec failed validation."""


class InvalidQuery(InterviewEngineError):
    """A listing's filters or page cursor are invalid."""


class InvalidAnswer(InterviewEngineError):
    """An answer was rejected before anything was stored (empty, too long, not valid text)."""


class SessionError(InterviewEngineError):
    """Base class of session state-machine errors."""


class IllegalTransition(SessionError):
    """The operation is not allowed in the session's current state (e.g. answering after finish)."""


class WrongQuestion(SessionError):
    """An answer names a question other than the one currently asked."""


class AnswerAlreadyRecorded(SessionError):
    """The question already has an answer; answers are never overwritten."""


class InterviewNotFound(SessionError):
    """No interview with that id exists for the tenant. Another tenant's interview and a malformed id get
    this error too, with the same message as a missing one."""


class ReportNotReady(SessionError):
    """The report was requested before the interview finished and its evaluations settled."""


class EvaluationFailed(ProviderError):
    """An evaluator gave up on an answer; the reason is recorded on the evaluation."""


class TranscriptionError(ProviderError):
    """A transcriber could not turn audio into text (bad audio, auth failure, vendor down)."""


class InvalidAudio(TranscriptionError):
    """Bytes handed to the audio pipeline are not audio in the declared format."""


class InvalidFrame(ProviderError):
    """A video frame handed to an emotion analyzer is not a usable image."""


def validation_message(exc: ValidationError, limit: int = 3) -> str:
    """A pydantic ValidationError as one line: ``field.path: problem; …`` (at most ``limit`` problems)."""
    errors = exc.errors()
    problems = [f"{'.'.join(str(p) for p in e['loc']) + ': ' if e['loc'] else ''}{e['msg']}" for e in errors[:limit]]
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    return "; ".join(problems) + more


def error_summary(exc: BaseException, limit: int = MAX_SUMMARY_CHARS) -> str:
    """``Type: message`` on one storable line of at most ``limit`` characters: what a failed evaluation or a
    job records as its reason (a database error's message can carry the whole statement and its data)."""
    text = " ".join(storable_text(f"{type(exc).__name__}: {exc}").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
