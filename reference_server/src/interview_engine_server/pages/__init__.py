"""Server-rendered HTML: the recruiter dashboard, the ``/demo`` host page, and their hashed static files."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from ..settings import ServerSettings
from . import dashboard, demo
from .assets import serve_asset


def page_routes(settings: ServerSettings) -> list[BaseRoute]:
    """The pages' routes (``/demo`` only when the server has a demo tenant)."""
    routes: list[BaseRoute] = [Route("/assets/{digest}/{name}", serve_asset, methods=["GET"]), *dashboard.ROUTES]
    if settings.demo_tenant is not None:
        routes += demo.ROUTES
    return routes
