"""Scale-out with real processes: evaluations run by an ``interview-engine worker`` process on arq and
Redis reach a server's WebSocket; and two server processes on one Postgres database, where an answer
posted to one produces the events on a socket held by the other (LISTEN/NOTIFY, no Redis)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

WORKER_TIMEOUT_S = 60


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def test_arq_mode_evaluations_run_in_a_worker_process(live_server: Any, redis_url: str, tmp_path: Any) -> None:
    environment = {"INTERVIEW_ENGINE_JOBS": "arq", "INTERVIEW_ENGINE_REDIS_URL": redis_url}
    with live_server(**environment) as server:
        created = server.start_interview()
        interview_id = created["interview_id"]
        candidate = server.consent(created)
        answered = server.answer_all(created, candidate)
        assert server.http.post(f"/v1/interviews/{interview_id}/candidate/finish", headers=candidate).status_code == 200
        report = server.http.get(f"/v1/interviews/{interview_id}/report", headers=server.key)
        assert report.status_code == 409  # the server runs no evaluation itself
        with server.socket(interview_id, headers=server.admin()) as socket:
            worker = subprocess.run(
                [sys.executable, "-m", "interview_engine", "worker", "--burst"], capture_output=True, text=True,
                timeout=WORKER_TIMEOUT_S, cwd=tmp_path,
                env={**server.process.full_environment(), "INTERVIEW_ENGINE_SERVER_DATA_DIR": str(tmp_path)})
            assert worker.returncode == 0, worker.stderr[-3000:]
            events = server.receive_until(socket, lambda e: "report.ready" in _types(e))
        scored = [e for e in events if e["type"] == "evaluation.updated" and "scores" in e["data"]]
        assert len(scored) == answered
        report = server.http.get(f"/v1/interviews/{interview_id}/report", headers=server.key)
        assert report.status_code == 200 and report.json()["report"]["overall_score"] is not None


def test_an_answer_posted_to_one_server_reaches_a_socket_on_another(live_server: Any, postgres_url: str) -> None:
    with live_server(postgres_url) as first, live_server(postgres_url, credentials=first.credentials) as second:
        created = first.start_interview()
        interview_id = created["interview_id"]
        candidate = first.consent(created)
        with second.socket(interview_id, headers=second.admin()) as recruiter, \
                second.socket(interview_id, headers=candidate) as candidate_socket:
            first.receive_until(recruiter, lambda e: "question.asked" in _types(e))  # replayed from the table
            base = f"/v1/interviews/{interview_id}/candidate"
            question = first.http.get(f"{base}/question", headers=candidate).json()
            posted = first.http.post(f"{base}/answers", headers=candidate, json={"question_id": question["id"],
                                                                                  "text": "Posted to the first."})
            assert posted.status_code == 201
            live = first.receive_until(recruiter, lambda e: any(
                x["type"] == "answer.recorded" and x["data"]["question_id"] == question["id"] for x in e))
            seen = first.receive_until(candidate_socket, lambda e: any(
                x["type"] == "question.asked" and x["data"]["question_id"] == posted.json()["next_question"]["id"]
                for x in e))
        assert live[-1]["data"]["text"] == "Posted to the first."
        assert all(not e["recruiter_only"] for e in seen)
        # the second server serves the same interview: its state, its report, from the same store
        state = second.http.get(f"/v1/interviews/{interview_id}", headers=second.key).json()
        assert state["answered_count"] == 1
