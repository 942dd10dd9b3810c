"""STUN and TURN servers: what a candidate's browser is told (``ice_servers`` in the candidate state) and
what the server's own peer connections use.

A TURN server with a ``secret`` gets short-lived credentials per candidate (the TURN REST scheme:
username ``<expiry>:<interview id>``, password base64(HMAC-SHA1(secret, username))), so no long-lived
TURN password ever reaches a browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from aiortc import RTCConfiguration, RTCIceServer
from pydantic import BaseModel, Field

from ..settings import IceServerSetting, ServerSettings


class IceServer(BaseModel):
    """An entry of ``RTCPeerConnection``'s ``iceServers``, as the browser takes it."""

    urls: list[str]
    username: str | None = None
    credential: str | None = Field(default=None, description="A TURN password (short-lived when the server "
                                                             "issues them).")


def _entry(server: IceServerSetting, interview_id: str, ttl_s: int, now: float) -> IceServer:
    if server.secret is not None:
        username = f"{int(now) + ttl_s}:{interview_id}"
        digest = hmac.new(server.secret.get_secret_value().encode(), username.encode(), hashlib.sha1).digest()
        return IceServer(urls=server.urls, username=username, credential=base64.b64encode(digest).decode())
    credential = server.credential.get_secret_value() if server.credential is not None else None
    return IceServer(urls=server.urls, username=server.username, credential=credential)


def ice_servers(settings: ServerSettings, interview_id: str, *, now: float | None = None) -> list[IceServer]:
    """The ICE servers for one interview's candidate, with fresh TURN credentials where configured."""
    moment = time.time() if now is None else now
    return [_entry(s, interview_id, settings.ice_credential_ttl_s, moment) for s in settings.ice_servers]


def rtc_configuration(servers: list[IceServer]) -> RTCConfiguration:
    """The server side's configuration (an empty list: host candidates only, never a public STUN default)."""
    return RTCConfiguration(iceServers=[RTCIceServer(urls=s.urls, username=s.username, credential=s.credential)
                                        for s in servers])
