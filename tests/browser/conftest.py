"""Browser test infrastructure: the reference app served by a real uvicorn on 127.0.0.1 (one per
module, SQLite in a temporary folder, instant fake providers, tenants ``acme`` and ``globex``), one
Debian Chromium per module driven by Python Playwright with fake camera and microphone fed a flite WAV
and an astronaut y4m (and one without devices, every prompt denied), a host web server on another
origin for embedding pages, a screenshot per step into ``test-artifacts/``, and an axe-core check.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from interview_engine import Engine, Settings
from interview_engine.testing import FakeEvaluator, FakeQuestionSource
from interview_engine_server.app import create_app
from interview_engine_server.auth.accounts import NewAccount
from interview_engine_server.bootstrap import TenantCredentials, create_tenant
from interview_engine_server.services import Services
from interview_engine_server.tenants import TenantSettingsPatch
from interview_engine_server.testing import fast_test_settings, free_port

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TEST_SECRET = "browser-test-secret-for-the-reference-server-0123"
SPEC: dict[str, Any] = {"role": "Backend engineer", "level": "mid", "language": "en", "question_count": 2,
                        "max_follow_ups": 0}
SPOKEN_ANSWER = "I would add a composite index and check the query plan with explain analyze."


# --- the server ---------------------------------------------------------------------------------------

@dataclass
class BrowserServer:
    """The reference app on a real port: its URL, its services (set-up on its own event loop with
    ``call``), an HTTP client, and the tenants' credentials."""

    url: str
    services: Services
    loop: asyncio.AbstractEventLoop
    http: httpx.Client
    tenants: dict[str, TenantCredentials] = field(default_factory=dict)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run ``coroutine`` on the server's event loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def key(self, tenant: str = "acme") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tenants[tenant].api_key}"}

    def add_person(self, role: str, tenant: str = "acme") -> tuple[str, str]:
        """A signed-up account with ``role``; returns (e-mail, password)."""
        email, password = f"{role}@{tenant}.example", f"{role}-password-long-enough"
        self.call(self.services.accounts.create(NewAccount(tenant_id=tenant, email=email, name=role.title(),
                                                           role=role, password=password)))  # type: ignore[arg-type]
        return email, password

    def start_interview(self, tenant: str = "acme", **spec: Any) -> dict[str, Any]:
        response = self.http.post("/v1/interviews", json={"spec": {**SPEC, **spec}}, headers=self.key(tenant))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def sit(self, created: dict[str, Any], answers: list[str], *, finish: bool = True) -> None:
        """Consent, answer the questions in order with ``answers`` (typed), and finish."""
        headers = {"Authorization": f"Bearer {created['candidate']['token']}"}
        base = f"/v1/interviews/{created['interview_id']}/candidate"
        notice = self.http.get(base, headers=headers).json()["consent_notice"]["sha256"]
        consent = self.http.post(f"{base}/consent", headers=headers, json={
            "accept": True, "notice_sha256": notice, "emotion_analysis": True})
        assert consent.status_code == 200, consent.text
        for text in answers:
            question = self.http.get(f"{base}/question", headers=headers).json()
            answered = self.http.post(f"{base}/answers", headers=headers,
                                      json={"question_id": question["id"], "text": text})
            assert answered.status_code == 201, answered.text
        if finish:
            assert self.http.post(f"{base}/finish", headers=headers).status_code == 200

    def sign_in(self, page: Page, person: tuple[str, str], *, tenant: str = "acme") -> None:
        """Sign ``person`` (e-mail, password) in to /dashboard in ``page``; it ends on the interview list."""
        page.goto(f"{self.url}/dashboard/login")
        page.get_by_label("Organisation").fill(tenant)
        page.get_by_label("E-mail").fill(person[0])
        page.get_by_label("Password").fill(person[1])
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Interviews")).to_be_visible()

    def wait_for_report(self, interview_id: str, tenant: str = "acme", timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.get(f"/v1/interviews/{interview_id}", headers=self.key(tenant))
            if response.json().get("report_ready"):
                return response.json()  # type: ignore[no-any-return]
            assert time.monotonic() < deadline, "the report did not become ready"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def browser_server(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserServer]:
    """The reference app under a real uvicorn on 127.0.0.1 (in a thread of this process), with the
    tenants acme (also the demo tenant, so ``/demo`` is on) and globex. A test module may set
    ``SERVER_SETTINGS`` and ``ENGINE_SETTINGS`` (dicts of ServerSettings and SDK Settings fields) to
    change the server's or the engine's settings (e.g. a real transcriber)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = tmp_path_factory.mktemp("browser") / "server.db"
    engine_settings = {"plugins": "", **getattr(request.module, "ENGINE_SETTINGS", {})}
    engine = Engine(Settings(database_url=f"sqlite+aiosqlite:///{database}", **engine_settings),
                    question_source=FakeQuestionSource(), evaluator=FakeEvaluator())
    overrides = getattr(request.module, "SERVER_SETTINGS", {})  # a test module's own, e.g. a short token life
    app = create_app(fast_test_settings(secret_key=TEST_SECRET, public_url=url, demo_tenant="acme", **overrides),
                     engine=engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    running = BrowserServer(url, app.state.services, loop, httpx.Client(base_url=url, timeout=20))
    try:
        for tenant in ("acme", "globex"):
            running.tenants[tenant] = running.call(create_tenant(running.services, tenant, name=tenant.title(),
                                                                 admin_email=f"admin@{tenant}.example"))
        yield running
    finally:
        running.http.close()
        server.should_exit = True
        thread.join(30)
        loop.close()


# --- the browser ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FakeMedia:
    wav: Path
    y4m: Path


def write_y4m(path: Path, rgb: np.ndarray, frames: int = 1) -> None:
    """An RGB image as a YUV4MPEG2 (4:2:0) video of ``frames`` identical frames, for Chromium's fake camera."""
    height, width = (rgb.shape[0] // 2) * 2, (rgb.shape[1] // 2) * 2
    r, g, b = (rgb[:height, :width, i].astype(np.float32) for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = (b - y) * 0.564 + 128
    v = (r - y) * 0.713 + 128

    def plane(values: np.ndarray) -> bytes:
        return bytes(np.clip(values, 0, 255).astype(np.uint8).tobytes())

    def half(values: np.ndarray) -> np.ndarray:
        return values.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    frame = b"FRAME\n" + plane(y) + plane(half(u)) + plane(half(v))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode())
        out.write(frame * frames)


@pytest.fixture(scope="session")
def fake_media(tmp_path_factory: pytest.TempPathFactory) -> FakeMedia:
    """A flite WAV of a spoken answer and a y4m of the astronaut (Eileen Collins) for the fake devices."""
    from skimage import data

    folder = tmp_path_factory.mktemp("media")
    flite = shutil.which("flite")
    assert flite is not None, "flite is missing (Debian package flite)"
    wav = folder / "answer.wav"
    subprocess.run([flite, "-t", SPOKEN_ANSWER, "-o", str(wav)], check=True, capture_output=True)
    y4m = folder / "astronaut.y4m"
    write_y4m(y4m, data.astronaut())
    return FakeMedia(wav, y4m)


@pytest.fixture(scope="module")
def browser(fake_media: FakeMedia) -> Iterator[Browser]:
    """One Chromium (Debian's) per test module, with fake media devices. Not per session: Playwright's
    sync API holds an asyncio loop in the thread while it runs, and a later module on the same xdist
    worker that runs its own loop (anyio.run, asyncio.run) would fail with "Already running asyncio"."""
    media_args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-audio-capture={fake_media.wav}",
                  f"--use-file-for-fake-video-capture={fake_media.y4m}"]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + media_args)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser_without_devices(browser: Browser) -> Iterator[Browser]:
    """Chromium as a candidate who blocked the camera and microphone: no fake devices, every permission
    prompt denied."""
    blocked = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--deny-permission-prompts"])
    yield blocked
    blocked.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (cookies, storage) for one test."""
    fresh = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    yield fresh
    fresh.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# --- a host page on another origin ----------------------------------------------------------------------

class HostSite:
    """An HR platform's own web server on 127.0.0.1 (another origin than the reference server): serves
    the pages, stylesheets and scripts a test publishes, each with the headers it gives."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes, dict[str, str]]] = {}
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                content_type, body, headers = files.get(path, ("text/plain", b"not found", {}))
                self.send_response(200 if path in files else 404)
                for name, value in {"content-type": f"{content_type}; charset=utf-8", **headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"

    def publish(self, path: str, content_type: str, body: str, headers: dict[str, str] | None = None) -> str:
        """Serve ``body`` at ``path``; returns its URL."""
        self.files[path] = (content_type, body.encode(), headers or {})
        return self.origin + path


HOST_SCRIPT = """
window.hostEvents = [];
for (const type of ["interview-started", "question", "interview-finished", "error"]) {
  document.addEventListener(type, (event) => window.hostEvents.push({type, detail: event.detail}));
}
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`));
document.addEventListener("DOMContentLoaded", () => document.getElementById("host-input").focus());
"""
"""The host page's own script: records the widget's DOM events (``window.hostEvents``) and any CSP
violation (``window.cspViolations``), and puts the focus in the host's own input."""
PLAIN_HOST_CSS = "body { font-family: sans-serif; margin: 0; background: #e2e8f0; } main { padding: 8px; }"


@dataclass
class Embedding:
    """Opens host pages on the host site that load /widget.js from the server and embed widgets."""

    site: HostSite
    server: BrowserServer

    def __call__(self, context: BrowserContext, widgets: list[dict[str, str]], *, css: str = PLAIN_HOST_CSS,
                 headers: dict[str, str] | None = None) -> Page:
        """A new page in ``context`` showing one ``<interview-widget>`` per attribute dict in ``widgets``."""
        base = f"/{len(self.site.files)}"
        self.site.publish(f"{base}/host.css", "text/css", css)
        self.site.publish(f"{base}/host.js", "text/javascript", HOST_SCRIPT)
        tags = "".join("<interview-widget " + " ".join(f'{name}="{value}"' for name, value in attrs.items())
                       + "></interview-widget>" for attrs in widgets)
        html = ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Careers</title>"
                f"<link rel='stylesheet' href='{base}/host.css'><script src='{base}/host.js'></script>"
                f"<script src='{self.server.url}/widget.js' defer></script></head><body><main><h1>Apply</h1>"
                f"<label>Your note <input id='host-input'></label>{tags}</main></body></html>")
        page = context.new_page()
        page.goto(self.site.publish(f"{base}/", "text/html", html, headers))
        return page

    def create_interview(self, **fields: Any) -> dict[str, Any]:
        """``POST /v1/interviews`` for acme: ``spec`` items over the default SPEC, and any other fields."""
        body = {**fields, "spec": {**SPEC, **fields.get("spec", {})}}
        response = self.server.http.post("/v1/interviews", json=body, headers=self.server.key())
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@pytest.fixture(scope="module")
def host_site(browser_server: BrowserServer) -> Iterator[HostSite]:
    """A host web server whose origin the tenant acme allows (its ``cors_origins``)."""
    site = HostSite()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    browser_server.call(browser_server.services.tenants.update(
        "acme", TenantSettingsPatch(cors_origins=[site.origin], candidate_summary=True)))
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()
        thread.join(10)


@pytest.fixture(scope="module")
def embed(browser_server: BrowserServer, host_site: HostSite) -> Embedding:
    """``embed(context, [{"server": …, "token": …}])`` opens a host page on the host site with the widget;
    ``embed.create_interview(...)`` creates an interview for it."""
    return Embedding(host_site, browser_server)


# --- screenshots and accessibility ----------------------------------------------------------------------

class Screenshots:
    """``shot(page, "login")`` saves ``test-artifacts/<module>/<test>/NN-login.png``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def __call__(self, page: Page, step: str, *, full_page: bool = True) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9_-]+', '-', step.lower())}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Screenshots:
    """Saves a screenshot per step of the test into test-artifacts/ (git-ignored; left in the work tree)."""
    module = Path(str(request.node.fspath)).stem
    folder = ARTIFACTS / module / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Screenshots(folder)


def assert_accessible(page: Page, include: str | None = None) -> None:
    """Run axe-core in the page (on ``include``, a CSS selector, or the whole document) and fail on any
    serious or critical violation. The script is evaluated through the DevTools protocol, so the page's
    CSP does not block it."""
    assert AXE_JS.exists(), f"{AXE_JS} is missing: run `npm ci` in tests/browser (scripts/install.sh does)"
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text())
    violations = page.evaluate(
        """async (include) => {
            const result = await axe.run(include ? { include: [include] } : document, { resultTypes: ["violations"] });
            return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" ")) }));
        }""",
        include,
    )
    assert not violations, "axe-core found serious or critical accessibility violations:\n" + "\n".join(
        f"- {v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'][:5])}" for v in violations)


@pytest.fixture
def axe() -> Callable[[Page, str | None], None]:
    """``axe(page)`` or ``axe(page, "interview-widget")``: no serious or critical violations."""
    return assert_accessible
