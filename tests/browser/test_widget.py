"""The candidate widget in Debian's Chromium against the real reference server: the whole typed
interview on a hostile host page (aggressive global CSS, a 62.5% root font size, a strict CSP with
Trusted Types) with the camera and microphone denied; keyboard only at 360 px with fake devices, the
questions read aloud and muted, and axe-core on every step; "having trouble?" at a working device check;
the network cut mid-answer and restored (and the token refreshed); bad set-ups and the Korean strings.
The host pages live on another origin than the server. Screenshots of each step are saved under
test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

if TYPE_CHECKING:
    from conftest import BrowserServer, Embedding

SERVER_SETTINGS = {"candidate_token_ttl_s": 30}
"""Short-lived candidate tokens, so the widget's refresh happens within a test."""
HOSTILE_QUESTION = 'Tell us about <img src=x onerror="window.__pwned=1"> a project <script>window.__pwned=2</script>?'
HOSTILE_ANSWER = '<img src=y onerror="window.__pwned=3">I led it</textarea><script>window.__pwned=4</script>'
READ_ALOUD_SPY = "window.__spoken = []; speechSynthesis.speak = (utterance) => window.__spoken.push(utterance.text);"
"""Records what the widget reads aloud instead of speaking it (an init script: the page's CSP does not apply)."""
HOSTILE_CSS = """
html { font-size: 62.5%; }
* { font-size: 1rem !important; line-height: 0.7 !important; color: #f0f !important; letter-spacing: 0.4em !important;
    text-transform: uppercase !important; box-sizing: content-box !important; }
div, p, section, button, input, textarea, select, video { margin: 3rem !important; border: 5px dashed lime !important; }
interview-widget { font-size: 6px !important; display: inline !important; width: 10px !important; }
"""


def strict_csp(server: str) -> str:
    ws = server.replace("http://", "ws://")
    return (f"default-src 'none'; script-src 'self' {server}; style-src 'self'; connect-src {server} {ws}; "
            "img-src 'self'; media-src 'self' blob:; base-uri 'none'; form-action 'none'; "
            "require-trusted-types-for 'script'; trusted-types 'none'")


@pytest.fixture
def new_context() -> Iterator[Callable[..., BrowserContext]]:
    """Opens browser contexts with the given options; all are closed after the test."""
    opened: list[BrowserContext] = []

    def new(browser: Browser, **options: Any) -> BrowserContext:
        opened.append(browser.new_context(**options))
        return opened[-1]

    yield new
    for context in opened:
        context.close()


def host_events(page: Page, kind: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = page.evaluate("window.hostEvents")
    return [e["detail"] for e in events if e["type"] == kind]


def no_horizontal_overflow(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def server_draft(server: BrowserServer, created: dict[str, Any]) -> str | None:
    response = server.http.get(f"/v1/interviews/{created['interview_id']}/candidate",
                               headers={"Authorization": f"Bearer {created['candidate']['token']}"})
    draft = response.json()["draft"]
    return None if draft is None else str(draft["text"])


# --- the tests ------------------------------------------------------------------------------------------

def test_typed_interview_on_a_hostile_host_page_with_devices_denied(
        browser_server: BrowserServer, embed: Embedding, browser_without_devices: Browser,
        new_context: Callable[..., BrowserContext], shot: Callable[[Page, str], Any]) -> None:
    created = embed.create_interview(spec={"custom_questions": [HOSTILE_QUESTION]}, time_limit_s=120,
                               accommodations={"extra_time_s": 60})
    token = created["candidate"]["token"]
    page = embed(new_context(browser_without_devices, viewport={"width": 1024, "height": 900}),
                 [{"server": browser_server.url, "token": token, "lang": "en"}],
                 css=HOSTILE_CSS, headers={"content-security-policy": strict_csp(browser_server.url)})
    widget = page.locator("interview-widget")

    # consent: the host's focus is left alone, and its CSS cannot shrink or restyle the widget
    expect(widget.get_by_role("heading", name="Before you start")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "host-input"
    assert widget.evaluate("el => getComputedStyle(el).fontSize") == "16px"
    assert widget.get_by_role("heading", name="Before you start").evaluate(
        "el => [getComputedStyle(el).fontSize, getComputedStyle(el).textTransform]") == ["20px", "none"]
    assert widget.evaluate("el => el.getBoundingClientRect().width") > 600
    expect(widget.get_by_text("Also analyse my facial expressions")).to_have_count(0)  # not offered
    shot(page, "consent")
    widget.get_by_role("button", name="Agree and continue").click()
    expect(widget.get_by_role("status")).to_have_text("Tick the box to agree to the notice first.")
    widget.get_by_label("Turn my spoken answers into text").check()
    widget.get_by_label("I have read this notice and agree").check()
    widget.get_by_role("button", name="Agree and continue").click()

    # device check: blocked, so a clear message and the typed path
    expect(widget.get_by_role("alert")).to_contain_text("blocked or missing")
    shot(page, "devices-denied")
    widget.get_by_role("button", name="Continue with typed answers").click()

    # the hostile answer and the hostile (custom, second) question are shown as text and never run
    question = widget.locator("[part~=question]")
    expect(question).to_have_text("Question 1 for the Backend engineer role?")
    assert question.evaluate("el => getComputedStyle(el).fontSize") == "20px"
    # 120 s and a 60 s accommodation
    expect(widget.locator("[part~=timer]")).to_have_text(re.compile(r"Time left (3:00|2:5\d)"))
    expect(widget.locator("[part~=progress]")).to_have_text("Question 1 of 2")
    widget.get_by_label("Type your answer").fill(HOSTILE_ANSWER)
    shot(page, "question-1")
    widget.get_by_role("button", name="Submit answer").click()
    expect(widget.locator("[part~=progress]")).to_have_text("Question 2 of 2")
    expect(question).to_have_text(HOSTILE_QUESTION)
    widget.get_by_label("Type your answer").fill("We measured first and then cached the hot path.")
    shot(page, "question-2")
    widget.get_by_role("button", name="Submit answer").click()

    # the end: finish, thanks, the written feedback
    widget.get_by_role("button", name="Finish the interview").click()
    expect(widget.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(widget.get_by_role("heading", name="Feedback on your answers")).to_be_visible(timeout=30_000)
    shot(page, "finished")

    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.cspViolations") == []
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert [e["interviewId"] for e in host_events(page, "interview-started")] == [created["interview_id"]]
    assert [e["number"] for e in host_events(page, "question")] == [1, 2]
    assert host_events(page, "question")[1]["text"] == HOSTILE_QUESTION
    assert host_events(page, "interview-finished") == [
        {"interviewId": created["interview_id"], "reportId": created["interview_id"]}]
    assert host_events(page, "error") == []
    report = browser_server.http.get(f"/v1/interviews/{created['interview_id']}/report", headers=browser_server.key())
    assert report.status_code == 200
    assert report.json()["report"]["questions"][0]["answer"]["text"] == HOSTILE_ANSWER


def test_keyboard_only_at_360_px_with_fake_devices_and_no_serious_axe_findings(
        browser_server: BrowserServer, embed: Embedding, browser: Browser,
        new_context: Callable[..., BrowserContext], shot: Callable[[Page, str], Any],
        axe: Callable[[Page, str | None], None]) -> None:
    created = embed.create_interview(accommodations={"no_time_limit": True}, time_limit_s=60,
                               spec={"emotion_analysis": True})
    ctx = new_context(browser, viewport={"width": 360, "height": 740})
    ctx.add_init_script(READ_ALOUD_SPY)
    page = embed(ctx, [{"server": browser_server.url, "token": created["candidate"]["token"]}])
    widget = page.locator("interview-widget")
    keyboard = page.keyboard

    def tab_to(name: str, role: str = "button") -> None:
        target = widget.get_by_role(role, name=name)  # type: ignore[arg-type]
        for _ in range(30):
            if target.evaluate("el => el.getRootNode().activeElement === el"):
                return
            keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {role} {name!r}")

    expect(widget.get_by_role("heading", name="Before you start")).to_be_visible()
    emotion = widget.get_by_label("Also analyse my facial expressions", exact=False)
    expect(emotion).not_to_be_checked()  # offered, and off unless ticked
    axe(page, "interview-widget")
    assert no_horizontal_overflow(page)
    shot(page, "consent")
    tab_to("Record my voice while I answer", "checkbox")
    keyboard.press("Space")
    tab_to("Turn my spoken answers into text", "checkbox")
    keyboard.press("Space")
    tab_to("I have read this notice and agree", "checkbox")
    keyboard.press("Space")
    tab_to("Agree and continue")
    keyboard.press("Enter")

    # device check: the preview plays, the level meter moves, the devices are listed
    heading = widget.get_by_role("heading", name="Check your camera and microphone")
    expect(heading).to_be_focused()  # focus follows inside the widget only
    expect(widget.get_by_role("button", name="Start the interview")).to_be_enabled(timeout=15_000)
    page.wait_for_function("() => document.querySelector('interview-widget').shadowRoot"
                           ".querySelector('video').videoWidth > 0")
    page.wait_for_function("() => Number(document.querySelector('interview-widget').shadowRoot"
                           ".querySelector('[role=meter]').getAttribute('aria-valuenow')) > 0", timeout=15_000)
    assert widget.get_by_label("Camera").locator("option").count() >= 1
    axe(page, "interview-widget")
    assert no_horizontal_overflow(page)
    shot(page, "devices")
    tab_to("Start the interview")
    keyboard.press("Enter")

    # the interview, answered by keyboard
    expect(widget.locator("[part~=progress]")).to_have_text("Question 1 of 2")
    expect(widget.locator("[part~=timer]")).to_have_text("No time limit")
    axe(page, "interview-widget")
    assert no_horizontal_overflow(page)
    shot(page, "interview")
    # the question is read aloud; once muted, the next one is not
    page.wait_for_function("() => window.__spoken.includes('Question 1 for the Backend engineer role?')")
    mute = widget.get_by_role("button", name="Mute the read-aloud")
    expect(mute).to_have_attribute("aria-pressed", "false")
    tab_to("Mute the read-aloud")
    keyboard.press("Enter")
    expect(mute).to_have_attribute("aria-pressed", "true")
    for text in ("I would profile it first.", "Then I would add an index."):
        tab_to("Type your answer", "textbox")
        keyboard.type(text)
        expect(widget.get_by_role("status")).to_have_text("Draft saved")
        tab_to(widget.locator("[part~=primary-button]").inner_text())
        keyboard.press("Enter")
        expect(widget.get_by_role("status")).to_have_text("Answer saved")
    expect(widget.get_by_role("heading", name="You have answered every question.")).to_be_visible()
    assert page.evaluate("window.__spoken") == ["Question 1 for the Backend engineer role?"]
    tab_to("Finish the interview")
    keyboard.press("Enter")
    expect(widget.get_by_role("heading", name="Thank you")).to_be_focused(timeout=20_000)
    axe(page, "interview-widget")
    assert no_horizontal_overflow(page)
    shot(page, "finished")


def test_having_trouble_with_working_devices_leads_to_typed_answers(
        browser_server: BrowserServer, embed: Embedding, browser: Browser,
        new_context: Callable[..., BrowserContext], shot: Callable[[Page, str], Any]) -> None:
    created = embed.create_interview()
    ctx = new_context(browser)
    offers: list[str] = []
    ctx.on("request", lambda request: offers.append(request.url) if request.url.endswith("/webrtc/offer") else None)
    page = embed(ctx, [{"server": browser_server.url, "token": created["candidate"]["token"]}])
    widget = page.locator("interview-widget")
    widget.get_by_label("Record my voice while I answer").check()
    widget.get_by_label("Turn my spoken answers into text").check()
    widget.get_by_label("I have read this notice and agree").check()
    widget.get_by_role("button", name="Agree and continue").click()
    expect(widget.get_by_role("button", name="Start the interview")).to_be_enabled(timeout=15_000)  # devices work
    widget.get_by_role("button", name="Having trouble? Answer by typing instead").click()

    # typed answers only, by choice: no live transcript, no "Done answering", no media connection, no error
    expect(widget.locator("[part~=question]")).to_have_text("Question 1 for the Backend engineer role?")
    expect(widget.get_by_role("log")).to_have_count(0)
    expect(widget.get_by_role("button", name="Done answering")).to_have_count(0)
    expect(widget.get_by_role("status")).not_to_have_text(re.compile("Listening|unavailable"))
    widget.get_by_label("Type your answer").fill("I would start from the slow query log.")
    shot(page, "typed-after-trouble")
    widget.get_by_role("button", name="Submit answer").click()
    expect(widget.locator("[part~=progress]")).to_have_text("Question 2 of 2")
    assert offers == []


def test_network_cut_mid_answer_resumes_the_same_question_with_the_draft(
        browser_server: BrowserServer, embed: Embedding, browser_without_devices: Browser,
        new_context: Callable[..., BrowserContext], shot: Callable[[Page, str], Any]) -> None:
    created = embed.create_interview()
    ctx = new_context(browser_without_devices)
    responses: list[tuple[str, int]] = []
    ctx.on("response", lambda response: responses.append((response.url, response.status)))
    page = embed(ctx, [{"server": browser_server.url, "token": created["candidate"]["token"]}])
    widget = page.locator("interview-widget")
    widget.get_by_label("I have read this notice and agree").check()
    widget.get_by_role("button", name="Agree and continue").click()  # no transcription: straight to typing
    question = widget.locator("[part~=question]")
    expect(question).to_have_text("Question 1 for the Backend engineer role?")
    answer = widget.get_by_label("Type your answer")
    answer.fill("First I would reproduce it")
    expect(widget.get_by_role("status")).to_have_text("Draft saved")

    ctx.set_offline(True)
    expect(widget.locator("[part~=banner]")).to_be_visible()
    expect(widget.locator("[part~=banner]")).to_contain_text("Reconnecting")
    expect(widget.get_by_role("button", name="Submit answer")).to_be_disabled()
    answer.press_sequentially(", then bisect the commits.")
    shot(page, "offline")
    ctx.set_offline(False)

    expect(widget.locator("[part~=banner]")).to_be_hidden(timeout=15_000)
    expect(widget.get_by_role("status")).to_have_text(re.compile("Reconnected|Draft saved"))
    expect(question).to_have_text("Question 1 for the Backend engineer role?")
    full = "First I would reproduce it, then bisect the commits."
    expect(answer).to_have_value(full)
    for _ in range(50):
        if server_draft(browser_server, created) == full:
            break
        page.wait_for_timeout(200)
    assert server_draft(browser_server, created) == full
    shot(page, "reconnected")

    # a reload (the host page hands the same token again) finds the same question and the draft
    page.reload()
    expect(question).to_have_text("Question 1 for the Backend engineer role?")
    expect(answer).to_have_value(full)

    # the widget refreshes its 30-second token before it expires and goes on working
    for _ in range(100):
        if any(url.endswith("/candidate/token") and status == 200 for url, status in responses):
            break
        page.wait_for_timeout(250)
    assert any(url.endswith("/candidate/token") and status == 200 for url, status in responses)
    widget.get_by_role("button", name="Submit answer").click()
    expect(widget.locator("[part~=progress]")).to_have_text("Question 2 of 2")


def test_bad_set_ups_and_korean(browser_server: BrowserServer, embed: Embedding, browser_without_devices: Browser,
                                new_context: Callable[..., BrowserContext], shot: Callable[[Page, str], Any]) -> None:
    created = embed.create_interview(spec={"role": "백엔드 엔지니어", "language": "ko"})
    token = created["candidate"]["token"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    url = browser_server.url
    page = embed(new_context(browser_without_devices), [
        {"server": url, "token": token},  # Korean: the interview's language
        {"server": url, "token": "not.a-token.at-all", "lang": "en"},
        {"server": url, "token": forged, "lang": "en"},
        {"token": token},
    ])
    korean, malformed, bad, unconfigured = (page.locator("interview-widget").nth(i) for i in range(4))
    expect(korean.get_by_role("heading", name="시작하기 전에")).to_be_visible()
    expect(korean.get_by_role("button", name="동의하고 계속")).to_be_visible()
    expect(malformed.get_by_role("alert")).to_have_text(
        "This interview link is not valid. Ask the organisation for a new one.")
    expect(bad.get_by_role("alert")).to_have_text(
        "This interview link has expired. Ask the organisation for a new one.")
    expect(unconfigured.get_by_role("alert")).to_have_text("The interview widget is missing its server or token.")
    codes = sorted(e["code"] for e in host_events(page, "error"))
    assert codes == ["invalid_token", "not_configured", "unauthenticated"]
    shot(page, "korean-and-errors")
