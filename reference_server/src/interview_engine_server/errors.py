"""Every error the API returns has one JSON shape, ``{"error": {"code", "message", "details"?}}``, and a
status from a short list. Messages are written here or come from input validation; never a stack trace,
never an internal id."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import JSONResponse

from interview_engine import (
    AnswerAlreadyRecorded,
    IllegalTransition,
    InterviewEngineError,
    InterviewNotFound,
    InvalidAnswer,
    InvalidQuery,
    InvalidSpec,
    ProviderError,
    ReportNotReady,
    WrongQuestion,
)

STATUS_TEXT: dict[int, str] = {
    400: "The request is malformed (e.g. the body is not JSON).",
    401: "No valid credential: missing, malformed, expired or revoked.",
    403: "The credential is valid but may not do this (scope, role, origin or tenant setting).",
    404: "No such resource for this credential (another tenant's resources are reported as missing).",
    405: "The method is not allowed on this path.",
    409: "The resource's state does not allow this now (e.g. answering a finished interview).",
    413: "The request body is larger than the server accepts.",
    415: "The request body must be application/json.",
    422: "The request body or query failed validation; `details` lists the problems.",
    429: "Too many requests; retry after the number of seconds in the Retry-After header.",
    500: "An internal error; nothing about it is revealed.",
    503: "A dependency (model, database) is unavailable; retry later.",
}


class ErrorDetail(BaseModel):
    """One validation problem: where (a path into the body or query) and what."""

    model_config = ConfigDict(extra="forbid")

    loc: list[str | int]
    message: str


class ErrorInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="A stable machine-readable code, e.g. `not_found`, `wrong_question`.")
    message: str = Field(description="One human-readable sentence.")
    details: list[ErrorDetail] | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorInfo


class ApiError(Exception):
    """An error with its HTTP status, code and message; raise it anywhere in a handler."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: list[ErrorDetail] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or type(self).code
        self.details = details
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message, details=self.details, headers=self.headers)


class InvalidJson(ApiError):
    code = "invalid_json"


class Unauthenticated(ApiError):
    status, code = 401, "unauthenticated"

    def __init__(self, message: str = "a valid credential is required") -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="interview-engine"'})


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"

    def __init__(self, message: str = "not found") -> None:
        super().__init__(message)


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class Invalid(ApiError):
    status, code = 422, "invalid_request"


class RateLimited(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many requests; retry in {retry_after_s} s",
                         headers={"Retry-After": str(retry_after_s)})


class Unavailable(ApiError):
    status, code = 503, "unavailable"


def error_response(
    status: int, code: str, message: str, *, details: list[ErrorDetail] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorInfo(code=code, message=message, details=details))
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers)


def validation_details(exc: ValidationError, *, prefix: str = "body", limit: int = 20) -> list[ErrorDetail]:
    """A pydantic error as details with paths and messages; the rejected input is never echoed back."""
    return [ErrorDetail(loc=[prefix, *e["loc"]], message=e["msg"]) for e in exc.errors()[:limit]]


def from_sdk(exc: InterviewEngineError) -> ApiError:
    """The API error for an SDK error. Messages are the server's own (the SDK's may name internal ids),
    except validation messages, which describe only the caller's input."""
    if isinstance(exc, InterviewNotFound):
        return NotFound("no such interview")
    if isinstance(exc, AnswerAlreadyRecorded):
        return Conflict("this question already has an answer", code="already_answered")
    if isinstance(exc, WrongQuestion):
        return Conflict("that is not the current question; fetch the current one", code="wrong_question")
    if isinstance(exc, IllegalTransition):
        return Conflict(_transition_message(str(exc)), code="illegal_state")
    if isinstance(exc, ReportNotReady):
        return Conflict("the report is not ready yet", code="report_not_ready")
    if isinstance(exc, InvalidAnswer):
        return Invalid(str(exc), code="invalid_answer")
    if isinstance(exc, InvalidSpec):
        return Invalid(str(exc), code="invalid_spec")
    if isinstance(exc, InvalidQuery):
        return Invalid(str(exc), code="invalid_query")
    if isinstance(exc, ProviderError):
        return Unavailable("a model provider failed; try again later", code="provider_unavailable")
    return ApiError("the request cannot be processed", code="rejected")


def _transition_message(sdk_message: str) -> str:
    lowered = sdk_message.lower()
    if "paused" in lowered:
        return "the interview is paused; resume it first"
    if "finished" in lowered:
        return "the interview is finished"
    if "every question is answered" in lowered:
        return "every question is answered; finish the interview"
    return "the interview's state does not allow this"
