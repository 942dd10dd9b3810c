"""A spoken answer through the widget: Chromium's fake microphone plays flite's voice over WebRTC to the
real server, pocketsphinx transcribes it, the live transcript shows in the widget's log, and "Done
answering" stores the answer with ``source="speech"``. During the second answer the network is cut and
restored: the WebRTC connection restarts for the same peer and the typed answer is kept and sent. The
recruiter then sees both answers, the spoken one with its evidence marked, in /dashboard."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect

if TYPE_CHECKING:
    from conftest import BrowserServer, Embedding

pytestmark = pytest.mark.slow

ENGINE_SETTINGS = {"plugins": "pocketsphinx", "transcriber": "pocketsphinx"}
SERVER_SETTINGS = {"live_silence_s": 30.0}
"""The fake microphone loops its recording with short pauses: only "Done answering" ends the answer."""


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    fresh = browser.new_context(viewport={"width": 800, "height": 900})
    yield fresh
    fresh.close()


def test_a_spoken_answer_with_a_network_cut_then_a_typed_one(
        browser_server: BrowserServer, embed: Embedding, context: BrowserContext,
        shot: Callable[[Page, str], Any]) -> None:
    created = embed.create_interview()
    offers: list[dict[str, Any]] = []

    def watch(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/webrtc/offer"):
            offers.append(json.loads(request.post_data or "{}"))

    context.on("request", watch)
    page = embed(context, [{"server": browser_server.url, "token": created["candidate"]["token"]}])
    widget = page.locator("interview-widget")
    widget.get_by_label("Record my voice while I answer").check()
    widget.get_by_label("Turn my spoken answers into text").check()
    widget.get_by_label("I have read this notice and agree").check()
    shot(page, "consent")
    widget.get_by_role("button", name="Agree and continue").click()
    start = widget.get_by_role("button", name="Start the interview")
    expect(start).to_be_enabled(timeout=15_000)
    shot(page, "device-check")
    start.click()

    status = widget.get_by_role("status")
    expect(status).to_have_text("Listening. Speak your answer, then choose Done answering.", timeout=15_000)
    log = widget.get_by_role("log")
    expect(log).to_contain_text("query plan", timeout=45_000)  # flite: "… check the query plan …"
    shot(page, "transcript")
    # the server flushes the transcriber first; on a starved machine it may ask to try again, as a candidate would
    for _ in range(2):
        widget.get_by_role("button", name="Done answering").click()
        expect(status).to_have_text(re.compile("Answer saved|try again"), timeout=40_000)
        if status.inner_text() == "Answer saved":
            break
    expect(status).to_have_text("Answer saved")
    expect(widget.locator("[part~=progress]")).to_have_text("Question 2 of 2")

    # the network drops mid-answer and comes back: the media connection restarts for the same peer
    expect(log).not_to_be_empty(timeout=30_000)
    widget.get_by_label("Type your answer").fill("And then I would watch the latency dashboards.")
    context.set_offline(True)
    expect(widget.locator("[part~=banner]")).to_contain_text("Reconnecting")
    context.set_offline(False)
    expect(widget.locator("[part~=banner]")).to_be_hidden(timeout=15_000)
    expect(widget.locator("[part~=progress]")).to_have_text("Question 2 of 2")
    expect(widget.get_by_label("Type your answer")).to_have_value("And then I would watch the latency dashboards.")
    first, restart = offers[0], offers[-1]
    assert "peer_id" not in first and restart["restart"] is True and restart["peer_id"]
    shot(page, "reconnected")
    widget.get_by_role("button", name="Done answering").click()  # with typed text: the typed answer
    finish = widget.get_by_role("button", name="Finish the interview")
    expect(finish).not_to_have_attribute("aria-disabled", "true", timeout=30_000)  # a click before is ignored
    finish.click()
    expect(widget.get_by_role("heading", name="Thank you")).to_be_visible(timeout=30_000)
    shot(page, "finished")

    report = browser_server.wait_for_report(created["interview_id"])
    assert report["answered_count"] == 2
    answers = browser_server.http.get(f"/v1/interviews/{created['interview_id']}/report",
                                      headers=browser_server.key()).json()["report"]["questions"]
    spoken, typed = (q["answer"] for q in answers)
    # pocketsphinx's final decoding of the loop differs from its interim words: the answer is what it heard
    assert spoken["source"] == "speech" and len(spoken["text"].split()) >= 5
    assert typed["source"] == "typed"

    # the recruiter's report in /dashboard: the spoken answer with its evidence marked, and the typed one
    dashboard = context.new_page()
    admin = browser_server.tenants["acme"]
    browser_server.sign_in(dashboard, (admin.admin_email, admin.admin_password))
    dashboard.goto(f"{browser_server.url}/dashboard/interviews/{created['interview_id']}")
    answers_shown = dashboard.locator("article.question")
    expect(answers_shown.first.locator("h4")).to_contain_text("spoken")
    expect(answers_shown.first.locator(".transcript")).to_have_text(spoken["text"])
    # FakeEvaluator quotes the answer's first six words
    expect(answers_shown.first.locator(".transcript mark").first).to_have_text(" ".join(spoken["text"].split()[:6]))
    expect(answers_shown.nth(1).locator("h4")).to_contain_text("typed")
    expect(answers_shown.nth(1).locator(".transcript")).to_have_text(typed["text"])
    shot(dashboard, "dashboard-report")
