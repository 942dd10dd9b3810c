"""The pages' way into the API: a route called in-process, by its operation id, for the signed-in
person. Roles, tenant ownership, rate limits, validation and the audit log are the API's own; the pages
repeat none of them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar, overload

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from ..api import ENDPOINTS
from ..auth.principals import Principal
from ..errors import Forbidden, Invalid, validation_details
from ..routing import call_endpoint

M = TypeVar("M", bound=BaseModel)
BY_OPERATION = {endpoint.operation_id: endpoint for endpoint in ENDPOINTS}


@overload
async def call_api(request: Request, operation: str, principal: Principal | None, expect: type[M], *,
                   query: Mapping[str, str] | None = None, form: Mapping[str, object] | None = None) -> M: ...


@overload
async def call_api(request: Request, operation: str, principal: Principal | None, expect: None = None, *,
                   query: Mapping[str, str] | None = None, form: Mapping[str, object] | None = None) -> None: ...


async def call_api(request: Request, operation: str, principal: Principal | None, expect: type[M] | None = None,
                   *, query: Mapping[str, str] | None = None, form: Mapping[str, object] | None = None) -> M | None:
    """Call the API route ``operation`` as ``principal`` with ``query`` and a body made from ``form``
    (validated by the route's own model). Raises the ApiError the API would answer with."""
    endpoint = BY_OPERATION[operation]

    async def read_body() -> BaseModel | None:
        if endpoint.body is None:
            return None
        try:
            return endpoint.body.model_validate(dict(form or {}))
        except ValidationError as exc:
            raise Invalid("the form is invalid", details=validation_details(exc)) from None

    result = await call_endpoint(endpoint, request, principal, query=query or {}, read_body=read_body)
    if expect is None:
        return None
    assert isinstance(result, expect), f"{operation} returned {type(result).__name__}"
    return result


def may(principal: Principal, operation: str) -> bool:
    """Whether the API lets ``principal`` call ``operation`` at all (to show or hide its controls)."""
    try:
        BY_OPERATION[operation].access.check(principal)
    except Forbidden:
        return False
    return True
