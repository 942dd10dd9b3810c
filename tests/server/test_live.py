"""The server as a real process (``interview-engine serve`` under uvicorn on 127.0.0.1): a whole interview
over HTTP while a candidate and a recruiter hold real WebSockets, reconnecting with the last event id;
the origin check at the handshake; the first start's credentials shown once and the signing key kept."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

TYPES_AFTER_FINISH = ("interview.finished", "report.ready")


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def test_a_whole_interview_over_http_and_websockets(live_server: Any) -> None:
    with live_server() as server:
        server.http.patch("/v1/tenant", json={"cors_origins": ["https://jobs.demo.example"]}, headers=server.admin())
        created = server.start_interview()
        interview_id = created["interview_id"]
        candidate = server.consent(created)
        with server.socket(interview_id, origin="https://jobs.demo.example") as candidate_socket, \
                server.socket(interview_id, headers=server.admin()) as recruiter_socket:
            candidate_socket.send(json.dumps({"type": "auth", "token": created["candidate"]["token"]}))
            answered = server.answer_all(created, candidate)
            base = f"/v1/interviews/{interview_id}/candidate"
            assert server.http.post(f"{base}/finish", headers=candidate).status_code == 200
            recruiter_events = server.receive_until(recruiter_socket, lambda e: "report.ready" in _types(e))
            candidate_events = server.receive_until(candidate_socket, lambda e: "interview.finished" in _types(e))
        # the candidate saw every question and never a score; the recruiter saw the scores and the report
        assert _types(candidate_events).count("question.asked") == answered
        assert all(not e["recruiter_only"] and "scores" not in e["data"] for e in candidate_events)
        assert any("scores" in e["data"] for e in recruiter_events if e["type"] == "evaluation.updated")
        ids = [e["id"] for e in recruiter_events]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)

        # reconnecting with the last id seen gets exactly what came after it
        middle = recruiter_events[len(recruiter_events) // 2]["id"]
        with server.socket(interview_id, headers=server.admin(), query=f"?after={middle}") as again:
            rest = server.receive_until(again, lambda e: "report.ready" in _types(e))
        assert [e["id"] for e in rest] == [i for i in ids if i > middle]


def test_a_foreign_origin_is_refused_at_the_handshake(live_server: Any) -> None:
    with live_server() as server:
        created = server.start_interview()
        with pytest.raises(InvalidStatus) as refused:
            server.socket(created["interview_id"], origin="https://evil.example")
        assert refused.value.response.status_code == 403


def test_first_start_shows_credentials_once_and_keeps_the_signing_key(live_server: Any, tmp_path: Any) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/first-start.db"
    environment = {"INTERVIEW_ENGINE_SERVER_SECRET_KEY": ""}  # unset: serve makes and keeps its own key
    with live_server(database, **environment) as first:
        log = first.process.log_path.read_text()
        assert first.credentials.admin_password in log and first.credentials.api_key in log
        data = first.process.workdir / "data"
        for name in ("first-start-credentials.txt", "secret_key"):
            assert stat.S_IMODE(os.stat(data / name).st_mode) == 0o600
        token = first.admin()
    with live_server(database, credentials=first.credentials, INTERVIEW_ENGINE_SERVER_DATA_DIR=str(data),
                     **environment) as second:
        assert first.credentials.admin_password not in second.process.log_path.read_text()
        assert second.http.get("/v1/auth/me", headers=token).status_code == 200  # same key, same session


def test_tenants_create_prints_credentials_that_work(live_server: Any, tmp_path: Any) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/tenants.db"
    with live_server(database) as server:
        environment = server.process.full_environment()
        command = [sys.executable, "-m", "interview_engine", "tenants", "create", "acme", "--name", "Acme",
                   "--admin-email", "admin@acme.example"]
        created = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)
        assert created.returncode == 0, created.stderr
        lines = dict(line.strip().split(":", 1) for line in created.stdout.splitlines() if ":" in line)
        key = lines["API key"].strip()
        assert server.http.get("/v1/interviews", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        again = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)
        assert again.returncode == 1 and "Traceback" not in again.stderr
        assert again.stderr.strip().count("\n") == 0 and "exists" in again.stderr
