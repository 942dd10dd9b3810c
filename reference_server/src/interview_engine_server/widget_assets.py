"""The candidate widget's script, built from ``web_widget/`` by ``npm run build`` into ``widget_build/``:
``/widget.js`` (short cache, always the current build) and ``/widget/<version>.js`` (the content hash,
cached for good, for hosts that pin a version or use Subresource Integrity). Before the widget is built
both answer a clear 503 error."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import ApiError, NotFound, Unavailable

WIDGET_FILE = Path(__file__).parent / "widget_build" / "widget.js"
SHORT_CACHE = "public, max-age=300"
IMMUTABLE = "public, max-age=31536000, immutable"
VERSION = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class WidgetBuild:
    body: bytes
    version: str
    """The first 16 hex digits of the script's sha256."""
    stamp: tuple[int, int]
    """The file's modification time and size when read."""


class WidgetAssets:
    """Serves the built script, read off the event loop and again only when the file changes."""

    def __init__(self, path: Path = WIDGET_FILE) -> None:
        self.path = anyio.Path(path)
        self._build: WidgetBuild | None = None

    async def current(self) -> WidgetBuild:
        try:
            stat = await self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if self._build is None or self._build.stamp != stamp:
                body = await self.path.read_bytes()
                self._build = WidgetBuild(body, hashlib.sha256(body).hexdigest()[:16], stamp)
        except FileNotFoundError:
            raise Unavailable("the widget is not built; run `npm ci && npm run build` in web_widget/ "
                              "(scripts/install.sh does)", code="widget_not_built") from None
        return self._build

    async def latest(self, request: Request) -> Response:
        """``/widget.js``: the current build."""
        return await self._serve(request, None)

    async def pinned(self, request: Request) -> Response:
        """``/widget/<version>.js``: that build, while it is the one this server has."""
        return await self._serve(request, str(request.path_params["version"]))

    async def _serve(self, request: Request, version: str | None) -> Response:
        try:
            build = await self.current()
            if version is not None and (not VERSION.match(version) or version != build.version):
                raise NotFound(f"this server has widget version {build.version}, not the one asked for; "
                               "use /widget.js or the current version")
        except ApiError as exc:
            return exc.response()
        etag = f'"{build.version}"'
        headers = {
            "cache-control": SHORT_CACHE if version is None else IMMUTABLE,
            "etag": etag,
            "link": f'</widget/{build.version}.js>; rel="canonical"',
            "access-control-allow-origin": "*",
            "cross-origin-resource-policy": "cross-origin",
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(build.body, media_type="text/javascript; charset=utf-8", headers=headers)


def widget_routes(assets: WidgetAssets | None = None) -> list[Route]:
    assets = assets or WidgetAssets()
    return [Route("/widget.js", assets.latest, methods=["GET", "HEAD"]),
            Route("/widget/{version}.js", assets.pinned, methods=["GET", "HEAD"])]
