"""Browser tests: the real reference server in a child process (instant fake providers), Debian's
Chromium driven by Python Playwright (never a downloaded browser), host pages from a web server of the
tests' own on another origin that the demo tenant allows, and screenshots saved as test artifacts."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from interview_engine_server.testing import FAST_TEST_ENVIRONMENT, ServerProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("INTERVIEW_ENGINE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))


@dataclass
class LiveServer:
    process: ServerProcess
    api_key: str
    admin_token: str
    host: HostServer

    @property
    def url(self) -> str:
        return self.process.url

    def http(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {token or self.api_key}"}
        return httpx.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def create_interview(self, **fields: Any) -> dict[str, Any]:
        body = {"spec": {"role": "Backend engineer", "level": "mid", "language": "en", "question_count": 2,
                         "max_follow_ups": 0}, **fields}
        response = self.http("POST", "/v1/interviews", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


class HostServer:
    """An HR platform's web server on 127.0.0.1 (another origin than the reference server): serves the
    pages, stylesheets and scripts the tests publish, each with the headers they give."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes, dict[str, str]]] = {}
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                content_type, body, headers = files.get(self.path.split("?")[0], ("text/plain", b"not found", {}))
                self.send_response(200 if self.path.split("?")[0] in files else 404)
                for name, value in {"content-type": f"{content_type}; charset=utf-8", **headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def publish(self, path: str, content_type: str, body: str, headers: dict[str, str] | None = None) -> str:
        self.files[path] = (content_type, body.encode(), headers or {})
        return self.origin + path

    def __enter__(self) -> HostServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The reference server for one test module, with a host web server whose origin the demo tenant
    allows; the tenant shows candidates their summary."""
    environment = {**FAST_TEST_ENVIRONMENT, "INTERVIEW_ENGINE_SERVER_CANDIDATE_TOKEN_TTL_S": "30"}
    with HostServer() as host, ServerProcess(tmp_path_factory.mktemp("browser-server"), environment) as process:
        credentials = process.credentials()
        login = httpx.post(f"{process.url}/v1/auth/login", timeout=10, json={
            "tenant": credentials.tenant_id, "email": credentials.admin_email, "password": credentials.admin_password})
        assert login.status_code == 200, login.text
        server = LiveServer(process, credentials.api_key, login.json()["access_token"], host)
        patched = server.http("PATCH", "/v1/tenant", token=server.admin_token,
                              json={"cors_origins": [host.origin], "candidate_summary": True})
        assert patched.status_code == 200, patched.text
        yield server


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Callable[..., Browser]]:
    """Launches Debian's Chromium with the given extra arguments; every browser is closed after the module."""
    browsers: list[Browser] = []

    def launch(*extra: str) -> Browser:
        browsers.append(playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra]))
        return browsers[-1]

    yield launch
    for browser in browsers:
        browser.close()


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Saves a screenshot of the page as a test artifact: test-artifacts/<test name>/<step>.png."""

    def save(page: Page, step: str) -> Path:
        path = ARTIFACTS / request.node.name / f"{step}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
