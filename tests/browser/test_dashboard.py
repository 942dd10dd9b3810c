"""The recruiter dashboard in Chromium against the real server: sign in, the list and its filters, the
report with evidence marked, hostile text that stays text, overrides, CSRF, roles, tenants, print, axe."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from interview_engine import EmotionSample

HOSTILE_QUESTION = 'Tell us about <img src=x onerror="window.__pwned=1"> indexing <script>window.__pwned=2</script>?'
HOSTILE_ANSWER = ('I would use <img src=x onerror="window.__pwned=3"> a composite index on the orders table '
                  'and <script>window.__pwned=4</script> check the plan before and after.')
PLAIN_ANSWER = "Sharding by customer keeps hot partitions small, and I would measure the latency first."
FLAG = "() => window.__pwned"


@dataclass(frozen=True)
class Interviews:
    finished: str
    in_progress: str
    other_tenant: str


def _emotions(interview_id: str) -> list[EmotionSample]:
    """Six samples 2 s apart: faces, then none, then two (the proctoring signals)."""
    faces = [1, 1, 0, 0, 2, 1]
    probs = {"angry": 0.02, "disgust": 0.02, "fear": 0.02, "happy": 0.7, "sad": 0.04, "surprise": 0.1, "neutral": 0.1}
    return [EmotionSample(interview_id=interview_id, t=2.0 * i, face_count=n,
                          emotions=probs if n else None, dominant="happy" if n else None)
            for i, n in enumerate(faces)]


@pytest.fixture(scope="module")
def interviews(browser_server: Any) -> Interviews:
    server = browser_server
    finished = server.start_interview(role="Backend engineer", custom_questions=[HOSTILE_QUESTION],
                                      emotion_analysis=True)
    server.sit(finished, [HOSTILE_ANSWER, PLAIN_ANSWER], finish=False)

    async def record() -> None:
        session = await server.services.engine.resume(finished["interview_id"], tenant="acme")
        await session.record_emotions(_emotions(finished["interview_id"]))

    server.call(record())
    base = f"/v1/interviews/{finished['interview_id']}/candidate"
    assert server.http.post(f"{base}/finish", headers={
        "Authorization": f"Bearer {finished['candidate']['token']}"}).status_code == 200
    server.wait_for_report(finished["interview_id"])
    in_progress = server.start_interview(role="Data engineer")
    other = server.start_interview("globex", role="Globex secret role")
    return Interviews(finished["interview_id"], in_progress["interview_id"], other["interview_id"])


@pytest.fixture(scope="module")
def people(browser_server: Any) -> dict[str, tuple[str, str]]:
    admin = browser_server.tenants["acme"]
    return {"admin": (admin.admin_email, admin.admin_password),
            "recruiter": browser_server.add_person("recruiter"), "reviewer": browser_server.add_person("reviewer")}


def rows(page: Page) -> list[str]:
    return page.locator("tr[data-interview]").evaluate_all("rows => rows.map(r => r.dataset.interview)")


def test_sign_in_list_and_filter(page: Page, browser_server: Any, interviews: Interviews,
                                 people: dict[str, Any], shot: Any, axe: Any) -> None:
    server = browser_server
    page.goto(f"{server.url}/dashboard/interviews")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next="))  # signed out: to the sign-in page
    page.get_by_label("Organisation").fill("acme")
    page.get_by_label("E-mail").fill("admin@acme.example")
    page.get_by_label("Password").fill("wrong password")
    shot(page, "sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Sign-in failed")
    server.sign_in(page, people["admin"])
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["ie_dashboard_access"]["httpOnly"] and cookies["ie_dashboard_access"]["sameSite"] == "Strict"
    listed = rows(page)
    assert interviews.finished in listed and interviews.in_progress in listed
    assert interviews.other_tenant not in listed
    expect(page.get_by_text("Globex secret role")).to_have_count(0)
    shot(page, "list")
    axe(page)

    page.get_by_label("Role").fill("Data engineer")
    page.get_by_role("button", name="Apply filters").click()
    assert rows(page) == [interviews.in_progress]
    page.get_by_role("link", name="Clear").click()
    page.get_by_label("State").select_option("finished")
    page.get_by_label("Minimum score").fill("50")
    page.get_by_role("button", name="Apply filters").click()
    assert rows(page) == [interviews.finished]
    shot(page, "filtered")
    page.get_by_label("Minimum score").fill("95")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No interviews match.")).to_be_visible()
    today = page.evaluate("() => new Date().toISOString().slice(0, 10)")
    page.goto(f"{server.url}/dashboard/interviews?from={today}&to={today}")
    assert set(rows(page)) >= {interviews.finished, interviews.in_progress}
    page.goto(f"{server.url}/dashboard/interviews?from=2999-01-01")
    assert rows(page) == []
    response = page.goto(f"{server.url}/dashboard/interviews?min_score=abc&from=yesterday")
    assert response is not None and response.status == 422
    expect(page.get_by_role("alert")).to_contain_text("Minimum score: ")
    page.get_by_role("link", name="한국어").click()
    expect(page.get_by_role("heading", name="면접 목록")).to_be_visible()
    shot(page, "list-korean")


def test_report_marks_evidence_and_keeps_hostile_text_inert(page: Page, browser_server: Any,
                                                            interviews: Interviews, people: dict[str, Any],
                                                            shot: Any, axe: Any) -> None:
    server = browser_server
    server.sign_in(page, people["admin"])
    page.locator(f"tr[data-interview='{interviews.finished}'] a").click()
    expect(page.get_by_role("heading", name="Backend engineer")).to_be_visible()
    # the hostile question and answer are on the page as text, and nothing in them ran
    expect(page.get_by_text('<img src=x onerror="window.__pwned=1">', exact=False)).to_be_visible()
    expect(page.locator(".transcript").first).to_contain_text("<script>window.__pwned=4</script>")
    assert page.evaluate(FLAG) is None
    assert page.locator("main img, main script").count() == 0
    # the evidence quotes are marked inside the transcripts, escaped
    marks = page.locator(".transcript mark").all_inner_texts()
    assert '<img src=x' in " ".join(marks)
    assert any(m.startswith("Sharding by customer keeps hot") for m in marks)
    # scores as a chart, coverage, proctoring signals for review, emotions apart with the statement
    assert page.locator("svg.chart rect.bar").count() == 1 + page.locator("#scores-h ~ table tbody tr").count()
    expect(page.locator("dl.coverage")).to_contain_text("Scored")
    # the evaluator's written feedback under each answered question (FakeEvaluator: "Fake feedback.")
    expect(page.locator("article.question", has_text="Feedback: Fake feedback.")).to_have_count(2)
    signals = page.locator("ol.signals li").all_inner_texts()
    assert any("No face visible" in s for s in signals) and any("Several faces visible" in s for s in signals)
    emotions = page.get_by_test_id("emotions")
    expect(emotions).to_contain_text("not part of any score")
    expect(emotions.locator("rect.emo")).to_have_count(6)
    shot(page, "report")
    axe(page)
    page.emulate_media(media="print")
    expect(page.locator("form.override-form")).to_be_hidden()
    expect(page.locator("header.topbar")).to_be_hidden()
    shot(page, "report-print")
    page.pdf(path=str(shot.folder / "report.pdf"))  # a clean PDF, as the browser's "save as PDF" makes it
    page.emulate_media(media="screen")
    page.goto(page.url + "?lang=ko")
    expect(page.get_by_text("감정 타임라인은 어떤 점수에도 포함되지 않습니다", exact=False)).to_be_visible()
    shot(page, "report-korean")
    assert page.evaluate(FLAG) is None


def test_override_with_a_reason_keeps_the_model_score(page: Page, browser_server: Any,
                                                      interviews: Interviews, people: dict[str, Any],
                                                      shot: Any) -> None:
    server = browser_server
    server.sign_in(page, people["reviewer"])
    page.goto(f"{server.url}/dashboard/interviews/{interviews.finished}")
    model_score = page.get_by_test_id("overall").inner_text()
    # a blank reason is refused by the API (the browser's own `required` check taken away first)
    page.locator("#o-reason").evaluate("el => el.removeAttribute('required')")
    page.get_by_label("Your score (0–100)").fill("88")
    page.get_by_label("Reason").fill("   ")
    page.get_by_role("button", name="Save override").click()
    expect(page.get_by_role("alert")).to_contain_text("Some input is invalid")
    page.go_back()
    page.get_by_label("Your score (0–100)").fill("88")
    page.get_by_label("Reason").fill('Strong follow-up in the live call <b>not bold</b>')
    page.get_by_role("button", name="Save override").click()
    expect(page).to_have_url(re.compile(r"#overrides$"))
    expect(page.get_by_test_id("overall")).to_have_text("88")
    history = page.locator("#overrides table tbody tr").first
    expect(history).to_contain_text(model_score)
    expect(history).to_contain_text("<b>not bold</b>")
    shot(page, "overridden")
    page.goto(f"{server.url}/dashboard/interviews?state=finished")
    expect(page.locator(f"tr[data-interview='{interviews.finished}'] .human")).to_contain_text("88")


def test_forms_without_a_valid_csrf_token_are_refused(page: Page, context: BrowserContext,
                                                      browser_server: Any, interviews: Interviews,
                                                      people: dict[str, Any]) -> None:
    server = browser_server
    server.sign_in(page, people["admin"])
    target = f"{server.url}/dashboard/interviews/{interviews.finished}/overrides"
    token = page.locator("input[name=csrf]").first.input_value()
    form = {"dimension": "", "score": "1", "reason": "forged"}
    for extra, headers in (({}, {}), ({"csrf": "0" * 64}, {}),
                           ({"csrf": token}, {"Origin": "https://evil.example"})):
        refused = context.request.post(target, form={**form, **extra}, headers=headers, max_redirects=0)
        assert refused.status == 403, refused.text()
        assert "did not come from this site" in refused.text()
    overrides = server.call(server.services.overrides.history(interviews.finished, "acme"))
    assert all(o.reason != "forged" for o in overrides)
    # signed out (no cookies at all), a POST is sent to sign in and changes nothing
    anonymous = server.http.post(target, data={**form, "csrf": token})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/dashboard/login")


def test_roles_are_the_apis(page: Page, context: BrowserContext, browser_server: Any,
                            interviews: Interviews, people: dict[str, Any], shot: Any, axe: Any) -> None:
    server = browser_server
    server.sign_in(page, people["reviewer"])
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    page.goto(f"{server.url}/dashboard/interviews/{interviews.finished}")
    expect(page.get_by_role("button", name="Delete this interview")).to_have_count(0)
    token = page.locator("input[name=csrf]").first.input_value()
    refused = context.request.post(f"{server.url}/dashboard/interviews/{interviews.finished}/delete",
                                   form={"csrf": token}, max_redirects=0)
    assert refused.status == 403 and "Your role may not do this." in refused.text()
    audit = page.goto(f"{server.url}/dashboard/audit")
    assert audit is not None and audit.status == 403
    shot(page, "reviewer-refused")

    context.clear_cookies()
    server.sign_in(page, people["recruiter"])
    doomed = server.start_interview(role="To be deleted")["interview_id"]
    page.goto(f"{server.url}/dashboard/interviews/{doomed}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete this interview").click()
    expect(page.get_by_role("heading", name="Interviews")).to_be_visible()
    assert doomed not in rows(page)
    assert server.http.get(f"/v1/interviews/{doomed}", headers=server.key()).status_code == 404

    context.clear_cookies()
    server.sign_in(page, people["admin"])
    page.get_by_role("link", name="Audit log").click()
    actions = page.locator("tbody td code").all_inner_texts()
    assert "report.viewed" in actions and "score.overridden" in actions and "interview.deleted" in actions
    overridden = page.locator("tbody tr", has_text="score.overridden").first
    expect(overridden).to_contain_text("Reviewer <reviewer@acme.example>")
    shot(page, "audit")
    axe(page)


def test_another_tenants_interview_is_not_found(page: Page, browser_server: Any,
                                                interviews: Interviews, people: dict[str, Any],
                                                shot: Any) -> None:
    server = browser_server
    server.sign_in(page, people["admin"])
    for interview_id in (interviews.other_tenant, "f" * 32):
        response = page.goto(f"{server.url}/dashboard/interviews/{interview_id}")
        assert response is not None and response.status == 404
        expect(page.get_by_text("Globex secret role")).to_have_count(0)
    shot(page, "not-found")
    pending = page.goto(f"{server.url}/dashboard/interviews/{interviews.in_progress}")
    assert pending is not None and pending.status == 200
    expect(page.get_by_role("status")).to_contain_text("not ready")
    malformed = page.goto(f"{server.url}/dashboard/interviews/not-an-id")
    assert malformed is not None and malformed.status == 404
