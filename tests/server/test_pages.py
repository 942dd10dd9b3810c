"""The server-rendered pages without a browser: evidence marking, the form rules, sign-in redirects,
the session cookies (renewal, sign-out), hashed assets, and /demo off by default."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from markupsafe import Markup

from interview_engine_server.pages.highlight import mark_evidence


@pytest.mark.parametrize(("text", "quotes", "expected"), [
    ("a <b>bold</b> claim", ["<b>bold</b>"], "a <mark>&lt;b&gt;bold&lt;/b&gt;</mark> claim"),
    ("<script>x</script> then", ["then"], "&lt;script&gt;x&lt;/script&gt; <mark>then</mark>"),
    ("Use an INDEX  on\norders", ["use an index on orders"], "<mark>Use an INDEX  on\norders</mark>"),
    ("it’s the plan", ["it's the plan"], "<mark>it’s the plan</mark>"),
    ("one two three four", ["one two", "two three", "four"], "<mark>one two three</mark> <mark>four</mark>"),
    ("nothing here", ["absent quote", "", "   "], "nothing here"),
    ('say "hi" & <i>', ['"hi" & <i>'], 'say <mark>&#34;hi&#34; &amp; &lt;i&gt;</mark>'),
])
def test_evidence_is_marked_in_escaped_text(text: str, quotes: list[str], expected: str) -> None:
    marked = mark_evidence(text, quotes)
    assert isinstance(marked, Markup) and str(marked) == expected


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert match, "no CSRF field on the page"
    return match.group(1)


def _sign_in(server: Any, tenant: str = "acme") -> str:
    """Sign the test client in to the dashboard as the tenant's admin; returns a CSRF token."""
    credentials = server.tenants[tenant]
    token = _csrf(server.client.get("/dashboard/login").text)
    response = server.client.post("/dashboard/login", data={
        "csrf": token, "tenant": tenant, "email": credentials.admin_email, "password": credentials.admin_password,
        "next": "/dashboard/interviews"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return _csrf(server.client.get("/dashboard/interviews").text)


def test_a_form_must_be_small_url_encoded_text(server: Any) -> None:
    server.client.cookies.clear()
    token = _csrf(server.client.get("/dashboard/login").text)
    as_json = server.client.post("/dashboard/login", json={"csrf": token})
    assert as_json.status_code == 400 and "x-www-form-urlencoded" in as_json.text
    with_nul = server.client.post("/dashboard/login", content=f"csrf={token}&tenant=a%00b",
                                  headers={"content-type": "application/x-www-form-urlencoded"})
    assert with_nul.status_code == 400 and "NUL" in with_nul.text
    many = "&".join(f"f{i}=1" for i in range(50))
    too_many = server.client.post("/dashboard/login", content=many,
                                  headers={"content-type": "application/x-www-form-urlencoded"})
    assert too_many.status_code == 400
    huge = server.client.post("/dashboard/login", data={"csrf": token, "password": "x" * 2_000_000})
    assert huge.status_code == 413


def test_sign_in_returns_only_to_dashboard_pages(server: Any) -> None:
    server.client.cookies.clear()
    credentials = server.tenants["acme"]
    for target, landing in (("https://evil.example/", "/dashboard/interviews"),
                            ("//evil.example", "/dashboard/interviews"), ("/dashboard/audit", "/dashboard/audit")):
        server.client.cookies.clear()
        token = _csrf(server.client.get("/dashboard/login").text)
        response = server.client.post("/dashboard/login", data={
            "csrf": token, "tenant": "acme", "email": credentials.admin_email,
            "password": credentials.admin_password, "next": target}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == landing


def test_an_expired_access_cookie_is_renewed_and_sign_out_ends_the_session(server: Any) -> None:
    server.client.cookies.clear()
    token = _sign_in(server)
    jar = server.client.cookies.jar
    [access_cookie] = [c for c in jar if c.name == "ie_dashboard_access"]
    access_cookie.value = "not-a-token"  # as an expired one: no longer accepted
    renewed = server.client.get("/dashboard/interviews")
    assert renewed.status_code == 200
    assert "ie_dashboard_access=" in renewed.headers["set-cookie"]
    cookie = renewed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dashboard" in cookie
    access = server.client.cookies.get("ie_dashboard_access")
    assert server.client.get("/v1/auth/me", headers=server.bearer(access)).status_code == 200
    signed_out = server.client.post("/dashboard/logout", data={"csrf": token}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/dashboard/login"
    assert server.client.get("/v1/auth/me", headers=server.bearer(access)).status_code == 401
    again = server.client.get("/dashboard/interviews", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/dashboard/login")


def test_pages_use_hashed_assets_under_a_strict_csp(server: Any) -> None:
    server.client.cookies.clear()
    page = server.client.get("/dashboard/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text and " style=" not in page.text
    css = re.search(r'href="(/assets/([0-9a-f]{16})/dashboard\.css)"', page.text)
    assert css
    served = server.client.get(css.group(1))
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/css")
    assert "immutable" in served.headers["cache-control"]
    assert server.client.get(css.group(1).replace(css.group(2), "0" * 16)).status_code == 404
    assert server.client.get(f"/assets/{css.group(2)}/secret.py").status_code == 404


def test_there_is_no_demo_page_unless_asked_for(server: Any) -> None:
    assert server.client.get("/demo").status_code == 404


def test_a_bad_override_is_refused_with_what_to_fix_and_changes_nothing(server: Any) -> None:
    created = server.start_interview()
    interview_id = created["interview_id"]
    candidate = server.consented(created)
    base = f"/v1/interviews/{interview_id}/candidate"
    question = server.client.get(f"{base}/question", headers=candidate).json()
    while question is not None:
        answered = server.client.post(f"{base}/answers", headers=candidate, json={
            "question_id": question["id"], "text": "I would add an index and then measure the query plan again."})
        question = answered.json()["next_question"]
    assert server.client.post(f"{base}/finish", headers=candidate).status_code == 200
    deadline = time.monotonic() + 20
    while not server.client.get(f"/v1/interviews/{interview_id}", headers=server.key()).json()["report_ready"]:
        assert time.monotonic() < deadline, "the report did not become ready"
        time.sleep(0.05)
    server.client.cookies.clear()
    token = _sign_in(server)
    url = f"/dashboard/interviews/{interview_id}/overrides"
    for form, status, problem in (
        ({"score": "150", "reason": "too generous"}, 422, "score: "),
        ({"score": "abc", "reason": "not a number"}, 422, "score: "),
        ({"score": "50", "reason": ""}, 422, "reason: "),
        ({"score": "50", "reason": "x", "dimension": "no_such_dimension"}, 422, "no_such_dimension"),
        ({"score": "50", "reason": "x", "dimension": "Robert'); DROP TABLE--"}, 422, "dimension: "),
    ):
        refused = server.client.post(url, data={"csrf": token, **form})
        assert refused.status_code == status and problem in refused.text, refused.text
    assert server.call(server.services.overrides.history, interview_id, "acme") == []
    other = server.start_interview("globex")["interview_id"]
    foreign = server.client.post(f"/dashboard/interviews/{other}/overrides",
                                 data={"csrf": token, "score": "1", "reason": "not mine"})
    assert foreign.status_code == 404
    assert server.call(server.services.overrides.history, other, "globex") == []


def test_the_list_pages_on_with_the_apis_cursor(server: Any) -> None:
    ids = {server.start_interview(spec={**server.spec, "role": "Paged role"})["interview_id"] for _ in range(3)}
    server.client.cookies.clear()
    _sign_in(server)
    seen: list[str] = []
    url: str | None = "/dashboard/interviews?role=Paged+role&limit=2"
    while url:
        page = server.client.get(url)
        assert page.status_code == 200
        seen += re.findall(r'data-interview="([0-9a-f]{32})"', page.text)
        found = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert sorted(seen) == sorted(ids)
    bad = server.client.get("/dashboard/interviews?cursor=not-a-cursor")
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "cursor" in bad.text.split('role="alert"')[1]
