"""``interview-engine serve --demo``: /demo creates an interview for the demo tenant server-side and
embeds <interview-widget>, which comes up on the page (the widget's flow has its own tests). Without --demo
there is no /demo (tests/server/test_pages.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import jwt
from playwright.sync_api import Page, expect

from interview_engine_server.testing import FAST_TEST_ENVIRONMENT, ServerProcess

SECRET = "demo-page-test-secret-0123456789-abcdefghijkl"



def test_serve_demo_embeds_the_widget_for_a_new_interview(page: Page, shot: Any, axe: Any, tmp_path: Path) -> None:
    env = {**FAST_TEST_ENVIRONMENT, "INTERVIEW_ENGINE_SERVER_SECRET_KEY": SECRET,
           "INTERVIEW_ENGINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/demo.db"}
    with ServerProcess(tmp_path / "demo", env, arguments=("--demo",)) as server:
        response = page.goto(f"{server.url}/demo?lang=ko")
        assert response is not None and response.status == 200
        headers = response.headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "camera=(self)" in headers["permissions-policy"]
        widget = page.locator("interview-widget")
        assert widget.get_attribute("server") == server.url and widget.get_attribute("lang") == "ko"
        assert page.locator("script[src='/widget.js']").count() == 1
        token = widget.get_attribute("token") or ""
        interview_id = jwt.decode(token, options={"verify_signature": False})["sub"]
        with httpx.Client(base_url=server.url) as http:
            state = http.get(f"/v1/interviews/{interview_id}/candidate", headers={"Authorization": f"Bearer {token}"})
            assert state.status_code == 200 and state.json()["state"] == "awaiting_consent"
            assert http.get("/demo").status_code == 200  # every visit is a new interview
        # the widget itself comes up under the page's CSP, in the language asked for
        expect(widget.get_by_role("heading", name="시작하기 전에")).to_be_visible(timeout=15_000)
        expect(widget.get_by_role("button", name="동의하고 계속")).to_be_visible()
        shot(page, "demo")
        axe(page, "main")
