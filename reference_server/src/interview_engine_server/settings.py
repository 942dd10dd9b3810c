"""Server settings from ``INTERVIEW_ENGINE_SERVER_*`` environment variables (the SDK's own settings, such
as ``INTERVIEW_ENGINE_DATABASE_URL`` and ``INTERVIEW_ENGINE_REDIS_URL``, are read by the SDK and shared).

Every secret comes from the environment; nothing secret has a default. ``interview-engine serve`` fills
the signing key from a 0600 file in its data directory when the variable is unset (embedded use only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from interview_engine import ConfigurationError

MIN_SECRET_CHARS = 32
MAX_CANDIDATE_TOKEN_TTL_S = 900
"""Candidate tokens live at most 15 minutes; the widget refreshes them while the interview is live."""


class IceServerSetting(BaseModel):
    """One STUN or TURN server handed to browsers (and used by the server's own peer connections).

    ``secret`` (TURN only) switches to short-lived credentials (the TURN REST scheme coturn calls
    ``use-auth-secret``): each candidate gets a username and password valid for ``ice_credential_ttl_s``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    urls: list[str] = Field(min_length=1, max_length=8)
    username: str | None = Field(default=None, max_length=256)
    credential: SecretStr | None = None
    secret: SecretStr | None = None

    @field_validator("urls")
    @classmethod
    def _ice_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if url.split(":", 1)[0] not in ("stun", "stuns", "turn", "turns") or len(url) > 512:
                raise ValueError(f"{url!r} is not a stun:, stuns:, turn: or turns: URL")
        return value


class ServerSettings(BaseSettings):
    """How the reference server runs. Environment prefix: ``INTERVIEW_ENGINE_SERVER_``."""

    model_config = SettingsConfigDict(env_prefix="INTERVIEW_ENGINE_SERVER_", extra="forbid", frozen=True)

    secret_key: SecretStr | None = None
    """Signs candidate tokens and recruiter sessions (HS256). At least 32 characters; required."""
    public_url: str = "http://127.0.0.1:8000"
    """The server's address as browsers see it: candidate links and the server's own origin."""
    issuer: str = Field(default="interview-engine", min_length=1, max_length=200)
    candidate_token_ttl_s: int = Field(default=MAX_CANDIDATE_TOKEN_TTL_S, ge=30, le=MAX_CANDIDATE_TOKEN_TTL_S)
    access_token_ttl_s: int = Field(default=900, ge=30, le=3600)
    """Recruiter access tokens; a refresh token renews them."""
    refresh_token_ttl_s: int = Field(default=12 * 3600, ge=60, le=30 * 24 * 3600)
    invite_ttl_s: int = Field(default=7 * 24 * 3600, ge=60, le=30 * 24 * 3600)
    password_hash_memory_kib: int = Field(default=65536, ge=8, le=4 * 1_048_576)
    """argon2id cost for recruiter passwords (defaults: RFC 9106 low-memory profile). Lower only for tests."""
    password_hash_time_cost: int = Field(default=3, ge=1, le=20)
    password_hash_parallelism: int = Field(default=4, ge=1, le=16)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    """Request bodies above this are refused with 413 (also chunked bodies without Content-Length)."""
    rate_limit_storage: str | None = None
    """A `limits` storage URI (``memory://``, ``redis://…``); default: Redis when the SDK uses Redis,
    else memory (per process)."""
    rate_limit_ip: str = "1200/minute"
    rate_limit_api_key: str = "3000/minute"
    rate_limit_candidate: str = "300/minute"
    rate_limit_recruiter: str = "1200/minute"
    rate_limit_login: str = "10/minute"
    """Login and invite acceptance, per client address and per account name."""
    db_pool_size: int = Field(default=10, ge=1, le=200)
    """Connections to Postgres per server process for the server's tables (SQLite uses one)."""
    ws_heartbeat_s: float = Field(default=15.0, gt=0, le=300)
    ws_auth_timeout_s: float = Field(default=10.0, gt=0, le=120)
    docs: bool = True
    """Serve the API reference at /docs."""
    demo_tenant: str | None = Field(default=None, min_length=1, max_length=64)
    """Serve ``/demo``, a public host page that creates an interview for this tenant on every visit
    (``interview-engine serve --demo`` sets the demo tenant). For demonstrations only; off by default."""
    ice_servers: list[IceServerSetting] = Field(default_factory=list, max_length=8)
    """STUN and TURN servers for live interviews, as JSON: ``[{"urls": ["stun:stun.example.com:3478"]},
    {"urls": ["turns:turn.example.com:443?transport=tcp"], "username": "u", "credential": "p"}]``.
    Empty: host candidates only (a server and browsers on one network)."""
    ice_credential_ttl_s: int = Field(default=3600, ge=60, le=86400)
    """Lifetime of TURN credentials made from a server's ``secret``."""
    ice_timeout_s: float = Field(default=20.0, gt=0, le=300)
    """A peer whose connection is not up this long after its offer is closed."""
    live_silence_s: float = Field(default=3.0, ge=0.5, le=60)
    """Silence after speech that ends a spoken answer (long enough for someone who pauses to think)."""
    live_audio_idle_s: float = Field(default=10.0, ge=0.5, le=300)
    """A microphone track that sends no audio this long (once it has started) is treated as ended: the
    answer in progress is kept as a draft and the peer closed."""
    live_frame_interval_s: float = Field(default=2.0, ge=0.2, le=60)
    """Seconds between the video frames analysed, when the candidate consented to emotion analysis."""
    live_max_peers: int = Field(default=100, ge=1, le=10_000)
    """Live media peers one server process holds at once; more offers are answered 503."""
    live_max_answer_s: float = Field(default=600.0, ge=10, le=3600)
    """A spoken answer longer than this ends by itself."""
    live_server_url: str | None = None
    """This server's own address as the other servers reach it (``http://10.0.0.5:8000``), for several
    servers behind a balancer that may send an interview's live requests to any of them: a request for a
    peer another server holds (trickled candidates, leaving, "done") is forwarded there, and a new offer
    first closes the interview's peer on the other server. Unset: one server, or a balancer that sends
    each interview's live requests to one server."""
    data_dir: Path = Path(".interview-engine")
    """Where ``interview-engine serve`` keeps its generated signing key and first-start credentials."""

    @field_validator("public_url", "live_server_url")
    @classmethod
    def _origin_like(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{info.field_name} must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_CHARS:
            raise ValueError(f"secret_key must have at least {MIN_SECRET_CHARS} characters")
        return value

    @model_validator(mode="after")
    def _argon2_memory(self) -> Self:
        if self.password_hash_memory_kib < 8 * self.password_hash_parallelism:
            raise ValueError("password_hash_memory_kib must be at least 8 × password_hash_parallelism")
        return self

    @property
    def origin(self) -> str:
        """The server's own origin (scheme://host[:port]), always allowed."""
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    def require_secret(self) -> str:
        if self.secret_key is None:
            raise ConfigurationError(
                "set INTERVIEW_ENGINE_SERVER_SECRET_KEY (at least 32 random characters, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return self.secret_key.get_secret_value()


def load_server_settings(**overrides: object) -> ServerSettings:
    """Server settings from overrides and the environment; a bad value is a ConfigurationError."""
    try:
        return ServerSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        from interview_engine import validation_message

        raise ConfigurationError(f"invalid server settings: {validation_message(exc)}") from exc
