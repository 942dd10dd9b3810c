"""examples/host_page: the minimal host back end creates an interview on the real server with an API key
and serves a page whose <interview-widget> carries a live candidate token the widget may use from the
host's origin (the tenant's CORS allow-list), and the widget comes up on it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import jwt
from playwright.sync_api import Page, expect

from interview_engine_server.testing import free_port

HOST = Path(__file__).resolve().parents[2] / "examples" / "host_page" / "host.py"


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/missing", timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "the example host did not start"
            time.sleep(0.1)


def test_the_example_host_page_embeds_the_widget_with_a_live_token(
        page: Page, browser_server: Any, shot: Any, tmp_path: Path) -> None:
    server = browser_server
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    credentials = server.tenants["acme"]
    login = server.http.post("/v1/auth/login", json={"tenant": "acme", "email": credentials.admin_email,
                                                      "password": credentials.admin_password})
    admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert server.http.patch("/v1/tenant", json={"cors_origins": [origin]}, headers=admin).status_code == 200
    env = {**os.environ, "IE_SERVER": server.url, "IE_API_KEY": credentials.api_key}
    log = (tmp_path / "host.log").open("wb")
    process = subprocess.Popen([sys.executable, str(HOST), "--port", str(port)], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(origin, process)
        response = page.goto(origin + "/")
        assert response is not None and response.status == 200
        widget = page.locator("interview-widget")
        assert widget.get_attribute("server") == server.url and widget.get_attribute("lang") == "en"
        token = widget.get_attribute("token")
        assert token
        assert page.locator(f"script[src='{server.url}/widget.js']").count() == 1
        interview_id = jwt.decode(token, options={"verify_signature": False})["sub"]
        # what the widget does first: read the candidate state from the host page's origin
        state = page.evaluate("""async ([url, token]) => {
            const r = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
            return { status: r.status, body: await r.json() };
        }""", [f"{server.url}/v1/interviews/{interview_id}/candidate", token])
        assert state["status"] == 200 and state["body"]["state"] == "awaiting_consent"
        expect(widget.get_by_role("heading", name="Before you start")).to_be_visible(timeout=15_000)
        expect(widget.get_by_role("button", name="Agree and continue")).to_be_visible()
        shot(page, "host-page")
        unknown = urllib.request.Request(origin + "/admin")
        try:
            urllib.request.urlopen(unknown, timeout=5)
            raise AssertionError("the example host served an unknown path")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
    finally:
        process.terminate()
        process.wait(10)
        log.close()
