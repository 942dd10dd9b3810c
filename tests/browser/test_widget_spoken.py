"""A spoken answer through the widget: Chromium's fake microphone plays flite's voice over WebRTC to the
real server, pocketsphinx transcribes it, the live transcript shows in the widget's log, and "Done
answering" stores the answer with ``source="speech"``. During the second answer the network is cut and
restored: the WebRTC connection restarts for the same peer and the typed answer is kept and sent. The
recruiter then sees both answers, the spoken one with its evidence marked, in /dashboard."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Request, expect

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


def offers_of(context: BrowserContext) -> list[dict[str, Any]]:
    """The bodies of the WebRTC offers the pages of ``context`` post from now on, as they are posted."""
    offers: list[dict[str, Any]] = []

    def watch(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/webrtc/offer"):
            offers.append(json.loads(request.post_data or "{}"))

    context.on("request", watch)
    return offers


def speaking(page: Page, shot: Callable[[Page, str], Any]) -> Locator:
    """Consent to recording and transcription, start, and wait for the fake microphone's words in the
    widget's live transcript; returns the widget."""
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
    expect(widget.get_by_role("status")).to_have_text("Listening. Speak your answer, then choose Done answering.",
                                                      timeout=15_000)
    expect(widget.get_by_role("log")).to_contain_text("query plan", timeout=45_000)  # flite: "… the query plan …"
    shot(page, "transcript")
    return widget


def test_a_spoken_answer_with_a_network_cut_then_a_typed_one(
        browser_server: BrowserServer, embed: Embedding, context: BrowserContext,
        shot: Callable[[Page, str], Any]) -> None:
    created = embed.create_interview()
    offers = offers_of(context)
    page = embed(context, [{"server": browser_server.url, "token": created["candidate"]["token"]}])
    widget = speaking(page, shot)
    status, log = widget.get_by_role("status"), widget.get_by_role("log")
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


def test_a_microphone_connection_the_server_closed_is_restarted_and_the_answer_goes_on(
        browser_server: BrowserServer, embed: Embedding, context: BrowserContext,
        shot: Callable[[Page, str], Any]) -> None:
    """The server holding the connection stops it (a deploy, a failure) while the API stays up: the widget
    notices the failed connection and restarts the same peer, and the spoken answer is recorded whole."""
    created = embed.create_interview()
    interview_id = created["interview_id"]
    offers = offers_of(context)
    page = embed(context, [{"server": browser_server.url, "token": created["candidate"]["token"]}])
    widget = speaking(page, shot)
    media = browser_server.services.media
    peer = media.peer_of(interview_id)
    assert peer is not None and len(offers) == 1
    browser_server.call(media.leave(interview_id, peer.peer_id))

    deadline = time.monotonic() + 60
    while not ((again := media.peer_of(interview_id)) and again.pc.connectionState == "connected"):
        sent = [{k: o.get(k) for k in ("peer_id", "restart")} for o in offers]
        assert time.monotonic() < deadline, f"the widget did not reconnect; its offers: {sent}"
        page.wait_for_timeout(200)
    assert again.peer_id == peer.peer_id and offers[-1] == {**offers[-1], "peer_id": peer.peer_id, "restart": True}
    expect(widget.get_by_role("status")).to_have_text("Reconnected.")
    shot(page, "reconnected")
    for _ in range(2):  # as in the test above: the server may ask to try again on a starved machine
        widget.get_by_role("button", name="Done answering").click()
        expect(widget.get_by_role("status")).to_have_text(re.compile("Answer saved|try again"), timeout=40_000)
        if widget.get_by_role("status").inner_text() == "Answer saved":
            break
    expect(widget.get_by_role("status")).to_have_text("Answer saved")
    answer = browser_server.call(browser_server.services.engine.resume(interview_id, tenant="acme")).answers[0]
    assert answer.source == "speech" and "plan" in answer.text


def test_a_second_window_takes_the_microphone_and_the_first_does_not_take_it_back(
        browser_server: BrowserServer, embed: Embedding, context: BrowserContext,
        shot: Callable[[Page, str], Any]) -> None:
    created = embed.create_interview()
    interview_id, token = created["interview_id"], created["candidate"]["token"]
    first = speaking(embed(context, [{"server": browser_server.url, "token": token}]), shot)
    media = browser_server.services.media
    replaced = media.peer_of(interview_id)
    assert replaced is not None
    second_page = embed(context, [{"server": browser_server.url, "token": token}])
    second = second_page.locator("interview-widget")
    second.get_by_role("button", name="Start the interview").click(timeout=15_000)
    expect(second.get_by_role("status")).to_have_text("Listening. Speak your answer, then choose Done answering.",
                                                      timeout=15_000)
    expect(first.get_by_role("status")).to_have_text(
        "Your microphone is now connected in another window; type here or continue there.", timeout=15_000)
    shot(second_page, "second-window")
    newest = media.peer_of(interview_id)
    assert newest is not None and newest.peer_id != replaced.peer_id
    second_page.wait_for_timeout(3_000)  # the first window's restarts are over: the second keeps the microphone
    assert media.peer_of(interview_id) is newest and newest.pc.connectionState == "connected"
