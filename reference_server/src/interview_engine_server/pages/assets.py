"""The pages' static files (CSS, JS) served under a content hash: ``/assets/<hash>/<name>``, cached for
a year, so a changed file gets a new URL. Only the files in ``static/`` with their current hash exist."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from ..errors import NotFound

MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    digest: str

    @property
    def url(self) -> str:
        return f"/assets/{self.digest}/{self.name}"


def _load() -> dict[str, Asset]:
    assets = {}
    for entry in resources.files(__package__).joinpath("static").iterdir():
        if entry.is_file() and any(entry.name.endswith(ext) for ext in MEDIA_TYPES):
            body = entry.read_bytes()
            assets[entry.name] = Asset(entry.name, body, hashlib.sha256(body).hexdigest()[:16])
    return assets


ASSETS = _load()


def asset_url(name: str) -> str:
    """The hashed URL of a static file (templates call it)."""
    return ASSETS[name].url


async def serve_asset(request: Request) -> Response:
    asset = ASSETS.get(request.path_params["name"])
    if asset is None or asset.digest != request.path_params["digest"]:
        return NotFound("no such asset").response()
    media_type = MEDIA_TYPES[asset.name[asset.name.rindex("."):]]
    return Response(asset.body, media_type=media_type, headers={"cache-control": IMMUTABLE})
