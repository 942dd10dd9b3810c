"""``/demo`` (``interview-engine serve --demo``): a host page as an HR platform would build it. Each visit
creates an interview for the demo tenant server-side, through the API's own create route, and embeds
``<interview-widget>`` with the candidate token. Off unless the server's ``demo_tenant`` is set."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..api.interviews import InterviewCreated
from ..auth.principals import ApiKeyPrincipal
from ..errors import ApiError
from ..services import Services
from .calls import call_api
from .i18n import choose_language
from .templating import render

DEMO_KEY_ID = "demo-page"
"""The actor recorded for interviews the demo page creates (no API key is stored for it)."""
DEMO_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; "
            "media-src 'self' blob: mediastream:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
DEMO_PERMISSIONS = "camera=(self), microphone=(self), geolocation=()"


def demo_spec(language: str) -> dict[str, object]:
    return {"role": "Software engineer", "level": "mid", "language": language, "question_count": 3}


async def demo(request: Request) -> Response:
    services: Services = request.app.state.services
    tenant = services.settings.demo_tenant
    assert tenant is not None, "mounted only with a demo tenant"
    language = choose_language(request)
    principal = ApiKeyPrincipal(tenant_id=tenant, key_id=DEMO_KEY_ID, scopes=frozenset({"interviews:write"}))
    try:
        created = await call_api(request, "create_interview", principal, InterviewCreated,
                                 form={"spec": demo_spec(language), "external_ref": "demo page"})
    except ApiError as exc:
        return exc.response()
    return await render(request, "demo.html", language, csp=DEMO_CSP,
                  headers={"permissions-policy": DEMO_PERMISSIONS}, server=services.settings.public_url,
                  token=created.candidate.token, interview_id=created.interview_id)


ROUTES: list[BaseRoute] = [Route("/demo", demo, methods=["GET"])]
