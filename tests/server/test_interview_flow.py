"""A whole interview over HTTP through the route table: created by an HR back end, sat by a candidate
(consent first, drafts, pause, answers, finish, summary), reviewed by recruiters (report, override),
deleted with everything that belongs to it. Every report view and deletion is in the audit log."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from interview_engine_server import tables


def _candidate(created: dict[str, Any]) -> str:
    return f"/v1/interviews/{created['interview_id']}/candidate"


def _wait_for_report(server: Any, interview_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        response = server.client.get(f"/v1/interviews/{interview_id}/report", headers=headers)
        if response.status_code == 200 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            report: dict[str, Any] = response.json()
            return report
        assert response.json()["error"]["code"] == "report_not_ready"
        time.sleep(0.05)


def test_a_whole_interview(server: Any) -> None:
    client = server.client
    server.client.patch("/v1/tenant", json={"candidate_summary": True}, headers=server.admin())
    created = server.start_interview(time_limit_s=120, accommodations={"extra_time_s": 60},
                                     external_ref="application-42")
    interview_id, base = created["interview_id"], _candidate(created)
    candidate = server.bearer(created["candidate"]["token"])
    assert created["candidate"]["link"].endswith(f"/candidate/{interview_id}#token={created['candidate']['token']}")

    state = client.get(base, headers=candidate).json()
    assert state["state"] == "awaiting_consent" and state["current_question"] is None
    assert not state["consent_notice"]["emotion_analysis_offered"]
    refused = client.post(f"{base}/answers", headers=candidate, json={"question_id": "0" * 32, "text": "hi"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "consent_required"
    consent = {"accept": True, "notice_sha256": state["consent_notice"]["sha256"], "transcription": True}
    emotion = client.post(f"{base}/consent", headers=candidate, json=consent | {"emotion_analysis": True})
    assert emotion.status_code == 422
    stale = client.post(f"{base}/consent", headers=candidate, json=consent | {"notice_sha256": "0" * 64})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "notice_changed"
    state = client.post(f"{base}/consent", headers=candidate, json=consent).json()
    assert state["state"] == "in_progress" and state["consent"]["transcription"]
    question = state["current_question"]
    assert question["number"] == 1 and question["clock"]["limit_s"] == 180

    # a draft survives a reconnect with a fresh token
    draft = client.put(f"{base}/draft", headers=candidate, json={"question_id": question["id"], "text": "I would"})
    assert draft.status_code == 200
    fresh = client.post(f"{base}/token", headers=candidate).json()
    candidate = server.bearer(fresh["token"])
    assert client.get(base, headers=candidate).json()["draft"]["text"] == "I would"

    paused = client.post(f"{base}/pause", headers=candidate).json()
    assert paused["state"] == "paused" and paused["current_question"]["clock"]["paused"]
    while_paused = client.post(f"{base}/answers", headers=candidate, json={"question_id": question["id"],
                                                                           "text": "an answer"})
    assert while_paused.status_code == 409 and while_paused.json()["error"]["code"] == "illegal_state"
    assert client.post(f"{base}/resume", headers=candidate).json()["state"] == "in_progress"

    answered = 0
    while question is not None:
        response = client.post(f"{base}/answers", headers=candidate,
                               json={"question_id": question["id"], "text": f"My answer number {answered + 1}."})
        assert response.status_code == 201, response.text
        body = response.json()
        answered += 1
        assert body["answered_count"] == answered and not body["over_limit"]
        question = body["next_question"]
    assert client.get(base, headers=candidate).json()["draft"] is None

    finished = client.post(f"{base}/finish", headers=candidate).json()
    assert finished["state"] == "finished" and finished["summary"] is not None
    assert client.get(base, headers=candidate).status_code == 401  # every candidate token is revoked
    summary_token = server.bearer(finished["summary"]["token"])
    assert client.post(f"{base}/answers", headers=summary_token, json={"question_id": "0" * 32,
                                                                       "text": "x"}).status_code == 403

    report = _wait_for_report(server, interview_id, server.key())
    assert report["interview"]["external_ref"] == "application-42"
    assert report["interview"]["accommodations"] == {"extra_time_s": 60, "no_time_limit": False}
    assert len(report["report"]["questions"]) == 3 and report["report"]["overall_score"] is not None
    assert set(report["timings"]) == {q["question"]["id"] for q in report["report"]["questions"]}

    summary = client.get(f"{base}/summary", headers=summary_token)
    assert summary.status_code == 200 and summary.json()["answered_count"] == 3
    assert "score" not in summary.text

    reviewer = server.person("reviewer")
    no_reason = client.post(f"/v1/interviews/{interview_id}/overrides", headers=reviewer,
                            json={"score": 55, "reason": "   "})
    assert no_reason.status_code == 422
    override = client.post(f"/v1/interviews/{interview_id}/overrides", headers=reviewer,
                           json={"score": 55, "reason": "The second answer was stronger than scored."})
    assert override.status_code == 201
    assert override.json()["model_score"] == report["report"]["overall_score"]
    by_key = client.post(f"/v1/interviews/{interview_id}/overrides", headers=server.key(),
                         json={"score": 1, "reason": "machines cannot override"})
    assert by_key.status_code == 403
    reviewed = client.get(f"/v1/interviews/{interview_id}/report", headers=reviewer).json()
    assert reviewed["overall_score"] == 55
    assert reviewed["report"]["overall_score"] == report["report"]["overall_score"]  # the model's, unchanged
    listed = client.get("/v1/interviews", params={"state": "finished"}, headers=server.key()).json()["items"]
    item = next(i for i in listed if i["id"] == interview_id)
    assert item["human_overall_score"] == 55 and item["overall_score"] == report["report"]["overall_score"]

    audit = client.get("/v1/audit", params={"target_id": interview_id}, headers=server.admin()).json()["items"]
    actions = [e["action"] for e in audit]
    assert actions.count("report.viewed") == 2 and "score.overridden" in actions
    assert {e["actor_type"] for e in audit if e["action"] == "report.viewed"} == {"api_key", "account"}
    assert all(e["ip"] for e in audit)


def test_no_summary_unless_the_tenant_shows_them(server: Any) -> None:
    client = server.client
    assert client.patch("/v1/tenant", json={"candidate_summary": False}, headers=server.admin()).status_code == 200
    created = server.start_interview()
    base = _candidate(created)
    finished = client.post(f"{base}/finish", headers=server.consented(created))
    assert finished.status_code == 200 and finished.json() == {"state": "finished", "summary": None}

    # a summary token handed out while summaries were on stops showing one when the tenant turns them off
    assert client.patch("/v1/tenant", json={"candidate_summary": True}, headers=server.admin()).status_code == 200
    created = server.start_interview()
    summary_token = server.bearer(client.post(f"{_candidate(created)}/finish",
                                              headers=server.consented(created)).json()["summary"]["token"])
    assert client.get(_candidate(created), headers=summary_token).json()["summary_available"]
    assert client.patch("/v1/tenant", json={"candidate_summary": False}, headers=server.admin()).status_code == 200
    assert not client.get(_candidate(created), headers=summary_token).json()["summary_available"]
    refused = client.get(f"{_candidate(created)}/summary", headers=summary_token)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "summary_disabled"


def test_deletion_removes_every_row_and_is_audited(server: Any) -> None:
    client = server.client
    created = server.start_interview()
    interview_id = created["interview_id"]
    candidate = server.consented(created)
    question = client.get(f"{_candidate(created)}/question", headers=candidate).json()
    client.put(f"{_candidate(created)}/draft", headers=candidate, json={"question_id": question["id"], "text": "d"})
    client.post(f"{_candidate(created)}/answers", headers=candidate, json={"question_id": question["id"],
                                                                          "text": "An answer."})
    assert client.delete(f"/v1/interviews/{interview_id}", headers=server.admin("globex")).status_code == 404
    assert client.delete(f"/v1/interviews/{interview_id}", headers=server.person("recruiter")).status_code == 204
    assert client.get(f"/v1/interviews/{interview_id}", headers=server.key()).status_code == 404
    assert client.delete(f"/v1/interviews/{interview_id}", headers=server.key()).status_code == 404
    assert client.get(_candidate(created), headers=candidate).status_code == 401
    leftovers = server.call(_rows_mentioning, server, interview_id)
    assert leftovers == {"server_audit_log", "server_webhook_messages"}
    messages = server.call(_webhook_messages, server)
    mentioning = [m for m in messages if interview_id in m["body"]]
    assert [m["type"] for m in mentioning] == ["interview.deleted"]  # earlier ones keep no body
    audit = client.get("/v1/audit", params={"action": "interview.deleted"}, headers=server.admin()).json()
    assert any(e["target_id"] == interview_id for e in audit["items"])


async def _webhook_messages(server: Any) -> list[dict[str, Any]]:
    async with server.services.db.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT type, body FROM server_webhook_messages"))).mappings().all()
    return [dict(r) for r in rows]


async def _rows_mentioning(server: Any, interview_id: str) -> set[str]:
    """Names of tables (server's and SDK's) that still hold a row mentioning the interview."""
    found = set()
    async with server.services.db.connect() as conn:
        names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        for name in names:
            rows = (await conn.execute(sa.text(f'SELECT * FROM "{name}"'))).all()
            if any(interview_id in str(tuple(r)) for r in rows):
                found.add(name)
    return found


def test_time_limit_over_run_is_kept_and_flagged(server: Any) -> None:
    client = server.client
    created = server.start_interview(time_limit_s=30)
    candidate = server.consented(created)
    question = client.get(f"{_candidate(created)}/question", headers=candidate).json()
    server.call(_move_clock_back, server, created["interview_id"], 60)
    answer = client.post(f"{_candidate(created)}/answers", headers=candidate,
                         json={"question_id": question["id"], "text": "Late but kept."})
    assert answer.status_code == 201 and answer.json()["over_limit"]


async def _move_clock_back(server: Any, interview_id: str, seconds: float) -> None:
    t = tables.interviews
    async with server.services.db.begin() as conn:
        row = (await conn.execute(sa.select(t.c.clock_started_at).where(t.c.interview_id == interview_id))).one()
        await conn.execute(t.update().where(t.c.interview_id == interview_id)
                           .values(clock_started_at=row.clock_started_at - timedelta(seconds=seconds)))


def test_no_time_limit_accommodation(server: Any) -> None:
    created = server.start_interview(time_limit_s=60, accommodations={"no_time_limit": True})
    candidate = server.consented(created)
    question = server.client.get(f"{_candidate(created)}/question", headers=candidate).json()
    assert question["clock"]["limit_s"] is None and question["clock"]["deadline_at"] is None


def test_hr_finish_and_fresh_candidate_tokens(server: Any) -> None:
    client = server.client
    created = server.start_interview()
    interview_id = created["interview_id"]
    first = server.bearer(created["candidate"]["token"])
    second = client.post(f"/v1/interviews/{interview_id}/candidate-token", json={}, headers=server.key()).json()
    assert client.get(_candidate(created), headers=first).status_code == 200
    third = client.post(f"/v1/interviews/{interview_id}/candidate-token", json={"revoke_previous": True},
                        headers=server.key()).json()
    assert client.get(_candidate(created), headers=first).status_code == 401
    assert client.get(_candidate(created), headers=server.bearer(second["token"])).status_code == 401
    assert client.get(_candidate(created), headers=server.bearer(third["token"])).status_code == 200
    view = client.post(f"/v1/interviews/{interview_id}/finish", headers=server.key()).json()
    assert view["state"] == "finished"
    assert client.get(_candidate(created), headers=server.bearer(third["token"])).status_code == 401
    again = client.post(f"/v1/interviews/{interview_id}/candidate-token", json={}, headers=server.key())
    assert again.status_code == 409


def test_listing_filters_and_pages(server: Any) -> None:
    client = server.client
    ids = [server.start_interview(spec=server.spec | {"role": "Listing role"})["interview_id"] for _ in range(3)]
    page = client.get("/v1/interviews", params={"role": "Listing role", "limit": 2}, headers=server.key()).json()
    assert [i["id"] for i in page["items"]] == ids[::-1][:2] and page["next_cursor"]
    rest = client.get("/v1/interviews", params={"role": "Listing role", "limit": 2, "cursor": page["next_cursor"]},
                      headers=server.key()).json()
    assert [i["id"] for i in rest["items"]] == ids[:1] and rest["next_cursor"] is None
    bad = client.get("/v1/interviews", params={"cursor": "garbage"}, headers=server.key())
    assert bad.status_code == 422
    naive = client.get("/v1/interviews", params={"created_after": "2026-01-01T00:00:00"}, headers=server.key())
    assert naive.status_code == 422
    assert client.get("/v1/interviews", params={"min_score": "nan"}, headers=server.key()).status_code == 422
