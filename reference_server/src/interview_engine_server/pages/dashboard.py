"""``/dashboard``: recruiters sign in, list and filter interviews, read a report, override a score with
a reason, delete an interview, and (admins) read the audit log. Every action is the API's route called
in-process as the signed-in person (``calls.py``), so roles and tenants are checked in one place."""

from __future__ import annotations

from datetime import date, timedelta

import anyio
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..api.accounts import AccountList
from ..api.interviews import InterviewList, InterviewView
from ..api.reviews import ReportView
from ..audit import AuditPage
from ..auth.accounts import SessionTokens
from ..errors import ApiError
from .i18n import translator
from .page import Page, dashboard_page, problems, safe_next
from .report_view import report_context
from .websession import end_session, start_session

LIST_FILTERS = ("role", "state", "min_score", "max_score", "limit", "cursor")
"""Filters passed to the API as they are; the dates are turned into the API's date-times."""
FILTER_LABELS = {"role": "list.role", "state": "list.state", "created_after": "list.from", "created_before": "list.to",
                 "min_score": "list.min_score", "max_score": "list.max_score", "limit": "list.next",
                 "cursor": "list.next"}
"""The filter form's label for each API query field, to say which field a problem is in."""


async def home(page: Page) -> Response:
    return RedirectResponse("/dashboard/interviews", status_code=303)


async def login_form(page: Page) -> Response:
    if page.principal is not None:
        return RedirectResponse(safe_next(page.request.query_params.get("next")), status_code=303)
    return await page.render("login.html", next=safe_next(page.request.query_params.get("next")), failed=False,
                       tenant="", email="")


async def login(page: Page) -> Response:
    form = page.form
    fields = {name: form.get(name, "") for name in ("tenant", "email", "password")}
    try:
        tokens = await page.api("login", SessionTokens, form=fields)
    except ApiError as exc:
        if exc.status == 429:
            raise
        return await page.render("login.html", status=exc.status if exc.status in (401, 422) else 400,
                           next=safe_next(form.get("next")), failed=True, tenant=fields["tenant"],
                           email=fields["email"])
    start_session(page.request, tokens)
    return RedirectResponse(safe_next(form.get("next")), status_code=303)


async def logout(page: Page) -> Response:
    await page.api("logout")
    end_session(page.request)
    return RedirectResponse("/dashboard/login", status_code=303)


def _list_query(params: dict[str, str]) -> dict[str, str]:
    """The API's list query from the filter form: empty fields dropped, days turned into date-times
    (the "to" day included)."""
    query = {name: params[name] for name in LIST_FILTERS if params.get(name, "").strip()}
    for field, api_name, shift in (("from", "created_after", 0), ("to", "created_before", 1)):
        value = params.get(field, "").strip()
        if value:
            try:
                query[api_name] = (date.fromisoformat(value) + timedelta(days=shift)).isoformat() + "T00:00:00Z"
            except ValueError:
                query[api_name] = value  # the API says what is wrong with it
    return query


async def interview_list(page: Page) -> Response:
    params = dict(page.request.query_params)
    filters = {name: params.get(name, "") for name in (*LIST_FILTERS, "from", "to")}
    try:
        listing = await page.api("list_interviews", InterviewList, query=_list_query(params))
    except ApiError as exc:
        if exc.status != 422:
            raise
        strings = translator(page.language)
        labels = {api_name: strings[key] for api_name, key in FILTER_LABELS.items()}
        return await page.render("interviews.html", status=422, filters=filters, items=[], next_url=None,
                           problems=problems(exc, labels) or [exc.message])
    next_url = None
    if listing.next_cursor:
        next_url = str(page.request.url.include_query_params(cursor=listing.next_cursor))
    return await page.render("interviews.html", filters=filters, items=listing.items, next_url=next_url, problems=[])


async def report(page: Page) -> Response:
    try:
        view = await page.api("get_report", ReportView)
    except ApiError as exc:
        if exc.code != "report_not_ready":
            raise
        interview = await page.api("get_interview", InterviewView)
        return await page.render("pending.html", interview=interview)
    context = await anyio.to_thread.run_sync(report_context, view, translator(page.language))
    return await page.render("report.html", **context)


async def override(page: Page) -> Response:
    form = page.form
    await page.api("override_score", form={"dimension": form.get("dimension") or None,
                                           "score": form.get("score", ""), "reason": form.get("reason", "")})
    interview_id = page.request.path_params["interview_id"]
    return RedirectResponse(f"/dashboard/interviews/{interview_id}#overrides", status_code=303)


async def delete(page: Page) -> Response:
    await page.api("delete_interview")
    return RedirectResponse("/dashboard/interviews", status_code=303)


async def audit_log(page: Page) -> Response:
    params = page.request.query_params
    query = {name: params[name] for name in ("action", "target_id", "cursor") if params.get(name, "").strip()}
    entries = await page.api("read_audit_log", AuditPage, query=query)
    people = {a.id: f"{a.name} <{a.email}>" for a in (await page.api("list_accounts", AccountList)).items}
    next_url = None
    if entries.next_cursor:
        next_url = str(page.request.url.include_query_params(cursor=entries.next_cursor))
    return await page.render("audit.html", entries=entries.items, next_url=next_url, action=params.get("action", ""),
                       people=people)


INTERVIEW = "/dashboard/interviews/{interview_id:interview_id}"

ROUTES: list[BaseRoute] = [
    Route("/dashboard", dashboard_page(home), methods=["GET"]),
    Route("/dashboard/login", dashboard_page(login_form, public=True), methods=["GET"]),
    Route("/dashboard/login", dashboard_page(login, public=True), methods=["POST"]),
    Route("/dashboard/logout", dashboard_page(logout), methods=["POST"]),
    Route("/dashboard/interviews", dashboard_page(interview_list), methods=["GET"]),
    Route(INTERVIEW, dashboard_page(report), methods=["GET"]),
    Route(INTERVIEW + "/overrides", dashboard_page(override), methods=["POST"]),
    Route(INTERVIEW + "/delete", dashboard_page(delete), methods=["POST"]),
    Route("/dashboard/audit", dashboard_page(audit_log), methods=["GET"]),
]
