"""ICE servers from settings: static TURN credentials pass through, a TURN secret becomes short-lived
credentials per interview (the TURN REST scheme coturn checks), and bad settings are refused at start."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from interview_engine import ConfigurationError
from interview_engine_server.media import ice_servers
from interview_engine_server.settings import load_server_settings

from .conftest import TEST_SECRET

SERVERS = [
    {"urls": ["stun:stun.example.com:3478"]},
    {"urls": ["turns:turn.example.com:443?transport=tcp"], "username": "static", "credential": "pass"},
    {"urls": ["turn:turn.example.com:3478"], "secret": "coturn-shared-secret"},
]


def test_ice_servers_for_a_candidate() -> None:
    settings = load_server_settings(secret_key=TEST_SECRET, ice_servers=SERVERS, ice_credential_ttl_s=600)
    stun, static, rest = ice_servers(settings, "a" * 32, now=1_000_000.0)
    assert stun.urls == ["stun:stun.example.com:3478"] and stun.username is None and stun.credential is None
    assert (static.username, static.credential) == ("static", "pass")
    assert rest.username == f"{1_000_600}:{'a' * 32}"
    expected = hmac.new(b"coturn-shared-secret", rest.username.encode(), hashlib.sha1).digest()
    assert rest.credential == base64.b64encode(expected).decode()
    assert "coturn-shared-secret" not in repr(settings)  # secrets stay out of logs


@pytest.mark.parametrize("servers", [
    [{"urls": ["http://turn.example.com"]}],
    [{"urls": []}],
    [{"urls": ["stun:a"], "unknown": 1}],
    [{"urls": ["stun:a"]}] * 9,
])
def test_bad_ice_settings_are_refused(servers: list[dict[str, object]]) -> None:
    with pytest.raises(ConfigurationError, match="ice_servers"):
        load_server_settings(secret_key=TEST_SECRET, ice_servers=servers)


def test_the_environment_takes_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEW_ENGINE_SERVER_ICE_SERVERS", '[{"urls": ["stun:stun.example.com:3478"]}]')
    settings = load_server_settings(secret_key=TEST_SECRET)
    assert [s.urls for s in settings.ice_servers] == [["stun:stun.example.com:3478"]]
