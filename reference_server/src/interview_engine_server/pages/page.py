"""What every dashboard handler shares: the signed-in person from the cookies (or a redirect to sign
in), the page language, the posted form with its CSRF check, API calls as that person, and API errors
shown as an HTML page with the API's status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, overload
from urllib.parse import parse_qsl, quote

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..auth.principals import RecruiterPrincipal
from ..errors import ApiError
from .calls import call_api, may
from .i18n import UiLanguage, choose_language, translator
from .templating import render
from .websession import apply_cookies, csrf_ok, csrf_token, signed_in

M = TypeVar("M", bound=BaseModel)
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 20
LOGIN_PATH = "/dashboard/login"


class BadForm(Exception):
    """A POST body that is not a small URL-encoded form."""


@dataclass
class Page:
    """One dashboard request as a handler sees it."""

    request: Request
    principal: RecruiterPrincipal | None
    language: UiLanguage
    form: dict[str, str]

    @overload
    async def api(self, operation: str, expect: type[M], *, query: Mapping[str, str] | None = None,
                  form: Mapping[str, object] | None = None) -> M: ...

    @overload
    async def api(self, operation: str, expect: None = None, *, query: Mapping[str, str] | None = None,
                  form: Mapping[str, object] | None = None) -> None: ...

    async def api(self, operation: str, expect: type[M] | None = None, *, query: Mapping[str, str] | None = None,
                  form: Mapping[str, object] | None = None) -> M | None:
        """Call the API route ``operation`` as the signed-in person."""
        return await call_api(self.request, operation, self.principal, expect, query=query, form=form)

    async def render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        principal = self.principal
        return await render(self.request, template, self.language, status=status, principal=principal,
                      csrf=csrf_token(self.request, principal),
                      may=lambda operation: principal is not None and may(principal, operation), **context)

    async def error(self, status: int, message: str, details: list[str] | None = None) -> Response:
        return await self.render("error.html", status=status, message=message, details=details or [])

    async def api_error(self, exc: ApiError) -> Response:
        """The API's error as a page: its status, a message in the page's language, and what to fix."""
        if exc.status == 401:
            return redirect_to_login(self.request)
        strings = translator(self.language)
        message = strings.get(f"error.{exc.status}", strings["error.other"])
        details = problems(exc)
        if exc.status in (409, 422) and not details:
            details = [exc.message]
        return await self.error(exc.status, message, details)


Handler = Callable[[Page], Awaitable[Response]]


def problems(exc: ApiError, labels: Mapping[str, str] | None = None) -> list[str]:
    """The API's validation details as lines "field: problem", fields named by ``labels`` where given."""
    lines = []
    for detail in exc.details or []:
        field = ".".join(str(part) for part in detail.loc[1:])
        lines.append(f"{(labels or {}).get(field, field)}: {detail.message}")
    return lines


def dashboard_page(handler: Handler, *, public: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint running ``handler`` for a signed-in person (else a redirect to sign in;
    ``public`` pages allow anyone), refusing POSTs without a valid CSRF token."""

    async def endpoint(request: Request) -> Response:
        page = Page(request, await signed_in(request), choose_language(request), {})
        if page.principal is None and not public:
            return apply_cookies(request, redirect_to_login(request))
        try:
            if request.method == "POST":
                page.form = await read_form(request)
                if not csrf_ok(request, page.form, page.principal):
                    return apply_cookies(request, await page.error(403, translator(page.language)["error.csrf"]))
            response = await handler(page)
        except BadForm as exc:
            response = await page.error(400, str(exc))
        except ApiError as exc:
            response = await page.api_error(exc)
        return apply_cookies(request, response)

    return endpoint


async def read_form(request: Request) -> dict[str, str]:
    """The posted URL-encoded form (the body size is capped by the server's middleware)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        raise BadForm("send the form as application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True,
                          max_num_fields=MAX_FORM_FIELDS, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise BadForm("the form is malformed") from None
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        raise BadForm("the form contains a NUL character")
    return dict(pairs)


def redirect_to_login(request: Request) -> Response:
    """To the sign-in page, coming back to this page afterwards when it was a GET."""
    if request.method != "GET":
        return RedirectResponse(LOGIN_PATH, status_code=303)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(target, safe='')}", status_code=303)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a dashboard path only (never another site)."""
    if value and value.startswith("/dashboard/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/dashboard/interviews"
