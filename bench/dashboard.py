"""What the dashboard's HTML costs over the JSON it is made from: the report page against the API's
report, and the interview list page against the API's list, in one process (TestClient, no network;
instant fake providers), each request timed in wall and CPU time.

The JSON routes are the same-run baseline: a page is the API route called in-process plus rendering, so
the ratio is what templates, evidence marking and the SVG charts add. Reports have 30 questions with
answers of about 120 words, each with four dimensions of evidence; the list holds 50 interviews.

    python bench/dashboard.py [--requests 200]

Target: the report page under 100 ms of CPU and under 3x the CPU of its JSON (CPU, because the shared
machine's load inflates wall times, which the table also shows).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from interview_engine import Engine, Settings
from interview_engine.testing import FakeEvaluator, FakeQuestionSource
from interview_engine_server.app import create_app
from interview_engine_server.bootstrap import create_tenant
from interview_engine_server.testing import fast_test_settings

RESULTS = Path(__file__).parent / "results" / "dashboard.json"
QUESTIONS = 30
LISTED = 50
ANSWER = ("I would start by measuring the slow query with explain analyze, then add a composite index on the "
          "customer and created columns, check the plan again, and keep the write cost in mind. ") * 4
TARGET_CPU_MS = 100.0
TARGET_RATIO = 3.0


def timed(client: TestClient, url: str, requests: int, **kwargs: Any) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(requests):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, **kwargs)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, response.text[:300]
    walls.sort()
    return {"p50_ms": statistics.median(walls), "p99_ms": walls[int(0.99 * (len(walls) - 1))],
            "cpu_ms": statistics.mean(cpus)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = Engine(Settings(database_url=f"sqlite+aiosqlite:///{folder}/bench.db", plugins=""),
                        question_source=FakeQuestionSource(), evaluator=FakeEvaluator())
        app = create_app(fast_test_settings(secret_key="bench-secret-" + "x" * 32, public_url="http://testserver"),
                         engine=engine)
        with TestClient(app) as client:
            portal = client.portal
            assert portal is not None
            tenant = portal.call(lambda: create_tenant(app.state.services, "acme", name="Acme",
                                                       admin_email="a@acme.example"))
            key = {"Authorization": f"Bearer {tenant.api_key}"}
            interview_id = sit(client, key)
            for _ in range(LISTED - 1):
                client.post("/v1/interviews", json={"spec": {"role": "Backend engineer", "level": "mid"}}, headers=key)
            sign_in(client, tenant.admin_email, tenant.admin_password)
            report = f"/v1/interviews/{interview_id}/report"
            rows = {
                "report: JSON (API)": timed(client, report, args.requests, headers=key),
                "report: page": timed(client, f"/dashboard/interviews/{interview_id}", args.requests),
                "list of 50: JSON (API)": timed(client, "/v1/interviews?limit=50", args.requests, headers=key),
                "list of 50: page": timed(client, "/dashboard/interviews", args.requests),
            }
    for name, row in rows.items():
        baseline = rows[name.split(":")[0] + ": JSON (API)"]
        row["cpu_ratio"] = row["cpu_ms"] / baseline["cpu_ms"]
    print(f"{'request':<24} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms':>8} {'cpu x JSON':>11}")
    for name, row in rows.items():
        print(f"{name:<24} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['cpu_ms']:>8.1f} {row['cpu_ratio']:>11.2f}")
    page = rows["report: page"]
    met = page["cpu_ms"] < TARGET_CPU_MS and page["cpu_ratio"] < TARGET_RATIO
    target = f"report page < {TARGET_CPU_MS:.0f} ms CPU and < {TARGET_RATIO:.0f}x its JSON's"
    print(f"target ({target}): {'met' if met else 'MISSED'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.node(), "requests": args.requests, "questions": QUESTIONS,
                                   "rows": rows, "target_met": met}, indent=2))


def sit(client: TestClient, key: dict[str, str]) -> str:
    """A finished interview of ``QUESTIONS`` answered questions with its report ready."""
    created = client.post("/v1/interviews", headers=key, json={"spec": {
        "role": "Backend engineer", "level": "mid", "question_count": QUESTIONS, "max_follow_ups": 0}}).json()
    candidate = {"Authorization": f"Bearer {created['candidate']['token']}"}
    base = f"/v1/interviews/{created['interview_id']}/candidate"
    notice = client.get(base, headers=candidate).json()["consent_notice"]["sha256"]
    client.post(f"{base}/consent", headers=candidate, json={"accept": True, "notice_sha256": notice})
    question = client.get(f"{base}/question", headers=candidate).json()
    while question is not None:
        answered = client.post(f"{base}/answers", headers=candidate,
                               json={"question_id": question["id"], "text": ANSWER})
        question = answered.json()["next_question"]
    client.post(f"{base}/finish", headers=candidate)
    for _ in range(600):
        if client.get(f"/v1/interviews/{created['interview_id']}", headers=key).json()["report_ready"]:
            return str(created["interview_id"])
        time.sleep(0.05)
    raise RuntimeError("the report did not become ready")


def sign_in(client: TestClient, email: str, password: str) -> None:
    page = client.get("/dashboard/login").text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match
    response = client.post("/dashboard/login", data={"csrf": match.group(1), "tenant": "acme", "email": email,
                                                     "password": password}, follow_redirects=False)
    assert response.status_code == 303, response.text


if __name__ == "__main__":
    main()
