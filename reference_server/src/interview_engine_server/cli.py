"""``interview-engine serve`` and ``interview-engine tenants create``, added to the SDK's command line
through its ``interview_engine.cli`` entry point group.

``serve`` runs on embedded defaults unless settings say otherwise: SQLite (``interview-engine.db``),
in-process jobs, the built-in question bank (or whatever ``INTERVIEW_ENGINE_*`` selects, e.g. the demo
model through ``scripts/demo.sh``). With no ``INTERVIEW_ENGINE_SERVER_SECRET_KEY`` it generates a signing
key into its data directory (mode 0600). On the first start it creates the ``demo`` tenant with an admin
and an API key, and prints them once, on stderr and into a 0600 file in the data directory.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import sqlalchemy as sa

from interview_engine import ConfigurationError, Engine, Settings

from . import tables as t
from .bootstrap import TenantCredentials, create_tenant
from .db import open_database
from .errors import Conflict
from .events import EventLog, make_broker
from .ratelimits import limits_storage_uri
from .services import Services
from .settings import ServerSettings, load_server_settings
from .webhooks import WebhookService

DEMO_TENANT = "demo"
DEMO_ADMIN = "admin@demo.example"
SECRET_FILE = "secret_key"
CREDENTIALS_FILE = "first-start-credentials.txt"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``interview_engine.cli`` entry point: adds ``serve`` and ``tenants``."""
    serve = commands.add_parser("serve", help="run the reference HTTP/WebSocket server")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (Postgres and Redis for >1)")
    serve.add_argument("--proxy-headers", action="store_true",
                       help="trust X-Forwarded-For/Proto from --forwarded-allow-ips (behind a load balancer)")
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    serve.add_argument("--no-access-log", action="store_true", help="do not log every request")
    serve.add_argument("--demo", action="store_true",
                       help=f"serve /demo: a host page that creates an interview for the {DEMO_TENANT!r} tenant")
    serve.add_argument("--timeout-keep-alive", type=int, default=75,
                       help="seconds an idle connection stays open (above the load balancer's idle timeout)")
    serve.set_defaults(handler=_serve)

    tenants = commands.add_parser("tenants", help="manage the server's tenants")
    tenant_commands = tenants.add_subparsers(dest="tenants_command", required=True, metavar="TENANTS_COMMAND")
    create = tenant_commands.add_parser("create", help="create a tenant with an admin and an API key")
    create.add_argument("tenant_id", help="lower-case letters, digits, - or _")
    create.add_argument("--name", required=True)
    create.add_argument("--admin-email", required=True)
    create.set_defaults(handler=_create_tenant)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from .app import create_app

    public_url = os.environ.get("INTERVIEW_ENGINE_SERVER_PUBLIC_URL") or f"http://{_display(args.host)}:{args.port}"
    demo = {"demo_tenant": DEMO_TENANT} if args.demo else {}
    server_settings = _with_secret(load_server_settings(public_url=public_url, **demo))
    if args.workers > 1 and server_settings.live_server_url:
        raise ConfigurationError("live_server_url is the address of one server process, so it takes one process "
                                 "per address: start this server without --workers")
    created = anyio.run(_first_start, server_settings, settings)
    if created is not None:
        _announce_credentials(created, server_settings.data_dir)
    url = server_settings.public_url
    print(f"interview-engine server on {url}\n"
          f"  Dashboard:     {url}/dashboard\n" + (f"  Demo page:     {url}/demo\n" if args.demo else "") +
          f"  API reference: {url}/docs\n"
          f"  OpenAPI:       {url}/v1/openapi.json", flush=True)
    config: dict[str, Any] = {"host": args.host, "port": args.port, "proxy_headers": args.proxy_headers,
                              "forwarded_allow_ips": args.forwarded_allow_ips, "log_level": "info",
                              "server_header": False, "access_log": not args.no_access_log,
                              "timeout_keep_alive": args.timeout_keep_alive}
    if args.workers > 1:
        os.environ["INTERVIEW_ENGINE_SERVER_SECRET_KEY"] = server_settings.require_secret()
        os.environ["INTERVIEW_ENGINE_SERVER_PUBLIC_URL"] = server_settings.public_url
        if server_settings.demo_tenant is not None:
            os.environ["INTERVIEW_ENGINE_SERVER_DEMO_TENANT"] = server_settings.demo_tenant
        uvicorn.run("interview_engine_server.app:create_app", factory=True, workers=args.workers, **config)
    else:
        uvicorn.run(create_app(server_settings, engine=Engine(settings)), **config)
    return 0


def _create_tenant(args: argparse.Namespace, settings: Settings) -> int:
    server_settings = _with_secret(load_server_settings())

    async def go() -> TenantCredentials:
        async with _services(server_settings, settings) as services:
            return await create_tenant(services, args.tenant_id, name=args.name, admin_email=args.admin_email)

    credentials = anyio.run(go)
    print(_credentials_text(credentials))
    return 0


async def _first_start(server_settings: ServerSettings, settings: Settings) -> TenantCredentials | None:
    """Create the demo tenant when the server has no tenant yet; None when it has one (or another server
    process starting at the same time created it)."""
    async with _services(server_settings, settings) as services:
        async with services.db.connect() as conn:
            if (await conn.execute(sa.select(t.tenants.c.id).limit(1))).first() is not None:
                return None
        try:
            return await create_tenant(services, DEMO_TENANT, name="Demo", admin_email=DEMO_ADMIN)
        except Conflict:
            return None


@asynccontextmanager
async def _services(server_settings: ServerSettings, settings: Settings) -> AsyncIterator[Services]:
    """Services on the configured database without the HTTP app, for set-up commands."""
    async with Engine(settings, run_jobs=False) as engine:
        db = await open_database(settings.database_url)
        try:
            events = EventLog(db, make_broker(database_url=settings.database_url))
            yield Services.build(server_settings, engine, db, events, WebhookService(db),
                                 rate_limit_storage=limits_storage_uri(None, None))
        finally:
            await db.dispose()


def _with_secret(server_settings: ServerSettings) -> ServerSettings:
    """The settings with a signing key: from the environment, else from (or newly into) the data dir."""
    if server_settings.secret_key is not None:
        return server_settings
    path = server_settings.data_dir / SECRET_FILE
    if not path.exists():
        _write_private(path, secrets.token_urlsafe(48))
    return load_server_settings(**server_settings.model_dump(exclude={"secret_key"}),
                                secret_key=path.read_text().strip())


def _announce_credentials(credentials: TenantCredentials, data_dir: Path) -> None:
    text = _credentials_text(credentials)
    path = data_dir / CREDENTIALS_FILE
    _write_private(path, text + "\n")
    print(f"\nFirst start: created the demo tenant. These credentials are shown once (also in {path}, "
          f"mode 0600; delete it once you have stored them):\n{text}\n", file=sys.stderr, flush=True)


def _credentials_text(credentials: TenantCredentials) -> str:
    return (f"  tenant:         {credentials.tenant_id}\n"
            f"  admin e-mail:   {credentials.admin_email}\n"
            f"  admin password: {credentials.admin_password}\n"
            f"  API key:        {credentials.api_key}")


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def _display(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
