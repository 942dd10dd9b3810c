"""The dashboard's sign-in as cookies, and its CSRF tokens.

The API's own session tokens travel in two cookies (HttpOnly, SameSite=Strict, path ``/dashboard``,
Secure over https): the short-lived access token and the single-use refresh token, which renews the
access token when it has expired. Every form carries a CSRF token: an HMAC, under a key derived from the
server secret, of a random per-browser nonce (its own cookie) and the session id, checked on every POST
together with the request's ``Origin``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from ..auth.accounts import SessionTokens
from ..auth.principals import RecruiterPrincipal
from ..clock import utcnow
from ..errors import ApiError
from ..services import Services
from .calls import call_api

ACCESS_COOKIE = "ie_dashboard_access"
REFRESH_COOKIE = "ie_dashboard_refresh"
NONCE_COOKIE = "ie_dashboard_nonce"
COOKIE_PATH = "/dashboard"
CSRF_FIELD = "csrf"


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def signed_in(request: Request) -> RecruiterPrincipal | None:
    """The person the session cookies belong to, renewing an expired access token with the refresh token
    (the new tokens are set on the response by ``apply_cookies``); None when signed out."""
    authenticator = _services(request).authenticator
    access = request.cookies.get(ACCESS_COOKIE)
    if access:
        try:
            principal = await authenticator.credential(access)
        except ApiError:
            principal = None
        if isinstance(principal, RecruiterPrincipal):
            return principal
    refresh = request.cookies.get(REFRESH_COOKIE)
    if not refresh:
        return None
    try:
        tokens = await call_api(request, "refresh_session", None, SessionTokens, form={"refresh_token": refresh})
        principal = await authenticator.credential(tokens.access_token)
    except ApiError:
        request.state.signed_out = True
        return None
    request.state.new_tokens = tokens
    return principal if isinstance(principal, RecruiterPrincipal) else None


def start_session(request: Request, tokens: SessionTokens) -> None:
    """Sign in: the response gets the session cookies and a fresh CSRF nonce."""
    request.state.new_tokens = tokens
    request.state.new_nonce = secrets.token_urlsafe(24)


def end_session(request: Request) -> None:
    request.state.signed_out = True
    request.state.new_nonce = secrets.token_urlsafe(24)


def _nonce(request: Request) -> str:
    nonce = getattr(request.state, "new_nonce", None) or request.cookies.get(NONCE_COOKIE)
    if not nonce or len(nonce) > 64:
        nonce = request.state.new_nonce = secrets.token_urlsafe(24)
    return str(nonce)


def csrf_token(request: Request, principal: RecruiterPrincipal | None) -> str:
    """The token every form of this page carries."""
    return _sign(request, _nonce(request), principal)


def csrf_ok(request: Request, form: Mapping[str, str], principal: RecruiterPrincipal | None) -> bool:
    """Whether a POST came from one of our own forms in this browser and session."""
    origin = request.headers.get("origin")
    if origin is not None and origin != _services(request).settings.origin:
        return False
    nonce = request.cookies.get(NONCE_COOKIE)
    sent = form.get(CSRF_FIELD, "")
    return bool(nonce) and hmac.compare_digest(sent.encode(), _sign(request, nonce or "", principal).encode())


def _sign(request: Request, nonce: str, principal: RecruiterPrincipal | None) -> str:
    secret = _services(request).settings.require_secret().encode()
    key = hmac.new(secret, b"interview-engine-server/dashboard-csrf", hashlib.sha256).digest()
    session = principal.session_id if principal else ""
    return hmac.new(key, f"{nonce}|{session}".encode(), hashlib.sha256).hexdigest()


def apply_cookies(request: Request, response: Response) -> Response:
    """Set or clear the cookies this request changed."""
    secure = _services(request).settings.public_url.startswith("https://")

    def put(name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, secure=secure, httponly=True,
                            samesite="strict")

    tokens: SessionTokens | None = getattr(request.state, "new_tokens", None)
    if tokens is not None:
        lifetime = max(0, int((tokens.refresh_expires_at - utcnow()).total_seconds()))
        put(ACCESS_COOKIE, tokens.access_token, lifetime)
        put(REFRESH_COOKIE, tokens.refresh_token, lifetime)
    elif getattr(request.state, "signed_out", False):
        for name in (ACCESS_COOKIE, REFRESH_COOKIE):
            response.delete_cookie(name, path=COOKIE_PATH, secure=secure, httponly=True, samesite="strict")
    nonce = getattr(request.state, "new_nonce", None)
    if nonce is not None:
        put(NONCE_COOKIE, nonce, 12 * 3600)
    return response
