"""The route table: each API route as data (method, path, models, who may call it, its errors), turned
into Starlette routes here and into the OpenAPI document in ``openapi.py``, so the two cannot drift.

A handler receives a ``Call`` with the authenticated principal and the validated path, query and body,
and returns a pydantic model (serialised with the route's status), None (204) or a Response.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from interview_engine import InterviewEngineError

from .auth.principals import Access, CandidatePrincipal, Principal
from .errors import (
    ApiError,
    Invalid,
    InvalidJson,
    NotFound,
    Unauthenticated,
    UnsupportedMediaType,
    error_response,
    from_sdk,
    validation_details,
)
from .records import InterviewRecord

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger(__name__)

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
B = TypeVar("B")
Q = TypeVar("Q")

PEER_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"

PATH_PARAMETERS: dict[str, tuple[str, str]] = {
    "interview_id": (r"^[0-9a-f]{32}$", "An interview id (32 hex digits)."),
    "key_id": (r"^[0-9a-f]{16}$", "An API key id (16 hex digits, the part after `iek_`)."),
    "account_id": (r"^[0-9a-f]{32}$", "A recruiter account id."),
    "endpoint_id": (r"^ep_[0-9a-f]{32}$", "A webhook endpoint id."),
    "peer_id": (PEER_ID_PATTERN, "A live (WebRTC) peer id: a lowercase UUID4."),
}
"""Every path parameter and the pattern it must match; a path with anything else matches no route (404),
so ``/v1/accounts/invites`` can never be read as an account id."""


class _PatternConvertor(StringConvertor):
    def __init__(self, pattern: str) -> None:
        self.regex = pattern.removeprefix("^").removesuffix("$")  # type: ignore[misc]


for _name, (_pattern, _) in PATH_PARAMETERS.items():
    register_url_convertor(_name, _PatternConvertor(_pattern))


class NoQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")


@dataclass
class Call(Generic[B, Q]):
    """One API call as a handler sees it: authenticated, validated, tenant known."""

    request: Request
    services: Services
    principal_or_none: Principal | None
    path: dict[str, str]
    query: Q
    body: B

    @property
    def principal(self) -> Principal:
        if self.principal_or_none is None:
            raise Unauthenticated()
        return self.principal_or_none

    @property
    def tenant_id(self) -> str:
        return self.principal.tenant_id

    @property
    def record(self) -> InterviewRecord:
        """The server record of the interview in the path (loaded once, when ownership was checked)."""
        record: InterviewRecord | None = getattr(self.request.state, "interview_record", None)
        if record is None:
            raise NotFound()
        return record

    @property
    def client_ip(self) -> str | None:
        return self.request.client.host if self.request.client else None

    @property
    def user_agent(self) -> str | None:
        agent = self.request.headers.get("user-agent")
        return agent[:400] if agent else None


Handler = Callable[[Call[Any, Any]], Awaitable[BaseModel | Response | None]]


@dataclass(frozen=True)
class Endpoint:
    """One route of the API with everything the server and the OpenAPI document need to know."""

    method: Method
    path: str
    handler: Handler
    summary: str
    tag: str
    access: Access
    body: type[BaseModel] | None = None
    query: type[BaseModel] = NoQuery
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    """Statuses particular to this route (409, 503 …); the common ones are added from what it accepts."""
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    """OpenAPI links from the success response to other operations (used by stateful API tests)."""

    @property
    def operation_id(self) -> str:
        return self.handler.__name__

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def error_statuses(self) -> list[int]:
        statuses = set(self.errors) | {429}
        if not self.access.public:
            statuses |= {401, 403}
        if self.path_parameters:
            statuses.add(404)
        if self.body is not None:
            statuses |= {400, 413, 415, 422}
        if self.query is not NoQuery:
            statuses.add(422)
        return sorted(statuses)


def starlette_routes(endpoints: tuple[Endpoint, ...]) -> list[Route]:
    """One Starlette route per path, dispatching on the method (so a 405 lists every allowed method)."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for endpoint in endpoints:
        by_path.setdefault(endpoint.path, {})[endpoint.method] = endpoint
    return [_route(path, methods) for path, methods in by_path.items()]


def _route(path: str, methods: dict[str, Endpoint]) -> Route:
    async def app(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await run_endpoint(methods[method], request)

    typed_path = re.sub(r"{(\w+)}", lambda m: f"{{{m[1]}:{m[1]}}}", path)  # {interview_id:interview_id}
    return Route(typed_path, app, methods=list(methods), name=path)


async def run_endpoint(endpoint: Endpoint, request: Request) -> Response:
    """Authenticate, then call the route (``call_endpoint``) and render its result. Every failure becomes
    the one JSON error shape."""
    services: Services = request.app.state.services
    try:
        principal = None
        if not endpoint.access.public:
            principal = await services.authenticator.authenticate(request)
        result = await call_endpoint(endpoint, request, principal, query=request.query_params,
                                     read_body=lambda: _body(endpoint, request))
    except ApiError as exc:
        return exc.response()
    except Exception:
        log.exception("unhandled error in %s %s", endpoint.method, endpoint.path)
        return error_response(500, "internal_error", "an internal error occurred")
    if result is None:
        return Response(status_code=204)
    if isinstance(result, Response):
        return result
    return Response(result.model_dump_json(), status_code=endpoint.status, media_type="application/json")


async def call_endpoint(endpoint: Endpoint, request: Request, principal: Principal | None, *,
                        query: Mapping[str, str], read_body: Callable[[], Awaitable[BaseModel | None]],
                        ) -> BaseModel | Response | None:
    """Call a route as ``principal`` (None: not signed in): authorise, rate-limit, check that the interview
    in the path is theirs, validate the query, read the body, run the handler. The API and the
    server-rendered pages both go through here, so every rule lives in one place. Raises ApiError (SDK
    errors included, as the API reports them)."""
    services: Services = request.app.state.services
    try:
        if not endpoint.access.public:
            if principal is None:
                raise Unauthenticated()
            endpoint.access.check(principal)
            await services.rate_limits.hit_principal(principal)
        path = {name: str(request.path_params[name]) for name in endpoint.path_parameters}  # matched already
        if principal is not None:
            request.state.interview_record = await _owned_interview(services, principal, path)
        parsed = _query(endpoint, query)
        body = await read_body()
        return await endpoint.handler(Call(request, services, principal, path, parsed, body))
    except InterviewEngineError as exc:
        raise from_sdk(exc) from None


async def _owned_interview(services: Services, principal: Principal, path: dict[str, str]) -> InterviewRecord | None:
    """The record of the interview in the path, which must be the principal's: its tenant's, and for a
    candidate token the very interview it was issued for. Anything else is reported as missing, before the
    body is even read."""
    interview_id = path.get("interview_id")
    if isinstance(principal, CandidatePrincipal):
        if interview_id != principal.interview_id:
            raise NotFound()
        return principal.record
    if interview_id is None:
        return None
    record = await services.records.get(interview_id, principal.tenant_id)
    if record is None:
        raise NotFound()
    return record


def _query(endpoint: Endpoint, query: Mapping[str, str]) -> BaseModel:
    try:
        return endpoint.query.model_validate(dict(query))
    except ValidationError as exc:
        raise Invalid("the query is invalid", details=validation_details(exc, prefix="query")) from None


async def _body(endpoint: Endpoint, request: Request) -> BaseModel | None:
    if endpoint.body is None:
        return None
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType("send the body as application/json")
    raw = await request.body()
    try:
        return endpoint.body.model_validate_json(raw, strict=True)  # JSON types as documented: no 0 for false
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise InvalidJson("the body is not valid JSON") from None
        raise Invalid("the body is invalid", details=validation_details(exc)) from None
