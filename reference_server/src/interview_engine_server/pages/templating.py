"""Rendering the server's HTML pages: Jinja2 templates with autoescaping on, the UI strings of the
page's language, hashed asset URLs, and a strict Content-Security-Policy (no inline script or style)."""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from .assets import asset_url
from .i18n import LANGUAGE_COOKIE, LANGUAGES, UiLanguage, translator

PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
PAGE_HEADERS = {"referrer-policy": "same-origin"}
"""Same-origin requests keep their ``Origin`` (the CSRF check reads it); other sites get no referrer."""
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600

_templates = Environment(loader=PackageLoader(__package__ or __name__, "templates"), autoescape=True,
                         undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_templates.globals["asset"] = asset_url


async def render(request: Request, template: str, language: UiLanguage, *, status: int = 200, csp: str = PAGE_CSP,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """The page ``template`` in ``language`` (rendered in a worker thread, off the event loop); remembers a
    language chosen with ``?lang=``."""
    links = {code: str(request.url.include_query_params(lang=code)).removeprefix(str(request.base_url).rstrip("/"))
             for code in LANGUAGES}
    page = partial(_templates.get_template(template).render, lang=language, t=translator(language),
                   language_links=links, **context)
    body = await anyio.to_thread.run_sync(page)
    response = HTMLResponse(body, status_code=status, headers={
        "content-security-policy": csp, **PAGE_HEADERS, **(headers or {})})
    if request.query_params.get("lang") == language:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_MAX_AGE, httponly=True,
                            samesite="lax")
    return response
