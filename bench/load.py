"""Load on one server process: N concurrent simulated candidates, each acting once a second over HTTP with
a WebSocket open, against SQLite and against Postgres.

The server is ``interview-engine serve`` in its own process with instant fake providers (questions and
scores cost nothing, so this measures the server: routing, auth, the store, events). This process is the
load generator. Each simulated candidate, pacing itself at one action per second: the HR back end creates
the interview (API key), the candidate reads its state, consents, opens the event socket, then for each
of three questions saves a draft and answers, then finishes: ten requests over about ten seconds. The
socket must deliver every question to its candidate.

The first row (one candidate alone) is the baseline: the latency ratios beside each row say how much load
costs. ``cpu ms/req`` is the server process's CPU time per request (everything it does for the request,
evaluations and events included): 1000 divided by it bounds what one core can serve.

    python bench/load.py [--concurrency 1 100 250 500] [--backends sqlite postgres] [--workers 2]

Target: 500 concurrent interviews at one action per second each, p99 under 100 ms, 0 errors, from one
server process. ``--workers N`` adds Postgres rows for ``serve --workers N`` (N processes; events fan out
through Postgres LISTEN/NOTIFY, rate limits are per process): a scale-out figure, not the target's, and
``cpu ms/req`` then sums every server process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import connect

from interview_engine_server.testing import FAST_TEST_ENVIRONMENT, ServerProcess

RESULTS = Path(__file__).parent / "results" / "load.json"
POSTGRES_ADMIN_URL = os.environ.get("INTERVIEW_ENGINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
SPEC = {"role": "Backend engineer", "question_count": 3, "max_follow_ups": 0}
ACTION_INTERVAL_S = 1.0
SECRET = "bench-secret-for-the-load-test-0123456789abcdef"


@dataclass
class Tally:
    """Latencies and failures of one run."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    interviews: int = 0
    questions_seen: int = 0
    questions_expected: int = 0


class Candidate:
    def __init__(self, http: httpx.AsyncClient, ws_url: str, api_key: str, tally: Tally) -> None:
        self.http, self.ws_url, self.api_key, self.tally = http, ws_url, api_key, tally
        self.next_at = 0.0

    async def request(self, method: str, url: str, *, token: str, json_body: Any = None) -> dict[str, Any]:
        """One paced action: wait for its slot, send, time it; a failure is counted and raised."""
        delay = self.next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.next_at = max(self.next_at, time.monotonic()) + ACTION_INTERVAL_S
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, json=json_body,
                                               headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            self.tally.errors.append(f"{method} {url.split('/')[-1]}: {type(exc).__name__}")
            raise
        self.tally.latencies.append(time.perf_counter() - started)
        if response.status_code >= 400:
            self.tally.errors.append(f"{method} {url.split('/')[-1]}: {response.status_code}")
            raise RuntimeError(response.text)
        return response.json() if response.content else {}

    async def sit(self, start_offset: float) -> None:
        self.next_at = time.monotonic() + start_offset
        created = await self.request("POST", "/v1/interviews", token=self.api_key, json_body={"spec": SPEC})
        token, interview_id = created["candidate"]["token"], created["interview_id"]
        base = f"/v1/interviews/{interview_id}/candidate"
        state = await self.request("GET", base, token=token)
        state = await self.request("POST", f"{base}/consent", token=token, json_body={
            "accept": True, "notice_sha256": state["consent_notice"]["sha256"]})
        async with connect(f"{self.ws_url}/v1/interviews/{interview_id}/events", proxy=None) as socket:
            await socket.send(json.dumps({"type": "auth", "token": token}))
            watcher = asyncio.create_task(self._watch(socket))
            question = state["current_question"]
            asked = {question["id"]}
            while question is not None:
                await self.request("PUT", f"{base}/draft", token=token,
                                   json_body={"question_id": question["id"], "text": "I would start by"})
                answered = await self.request("POST", f"{base}/answers", token=token, json_body={
                    "question_id": question["id"], "text": "I would start by measuring, then fix the worst."})
                question = answered["next_question"]
                if question is not None:
                    asked.add(question["id"])
            await self.request("POST", f"{base}/finish", token=token)
            self.tally.questions_expected += len(asked)
            seen = await watcher
        self.tally.questions_seen += len(asked & seen)
        self.tally.interviews += 1

    async def _watch(self, socket: Any) -> set[str]:
        """Question ids the socket announced, until the interview finished."""
        seen: set[str] = set()
        async for raw in socket:
            message = json.loads(raw)
            if message["type"] != "event":
                continue
            event = message["event"]
            if event["type"] == "question.asked":
                seen.add(event["data"]["question_id"])
            elif event["type"] == "interview.finished":
                return seen
        return seen


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its children, e.g. uvicorn's workers (Linux /proc)."""
    pids, total = [pid], 0.0
    for current in pids:
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            for task in Path(f"/proc/{current}/task").iterdir():
                pids += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:  # it ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def run_load(url: str, api_key: str, concurrency: int, server_pid: int) -> dict[str, Any]:
    tally = Tally()
    server_cpu = cpu_seconds(server_pid)
    limits = httpx.Limits(max_connections=concurrency + 10, max_keepalive_connections=concurrency + 10)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        candidates = [Candidate(http, url.replace("http://", "ws://"), api_key, tally) for _ in range(concurrency)]
        started = time.monotonic()
        results = await asyncio.gather(*(c.sit(random.uniform(0, ACTION_INTERVAL_S)) for c in candidates),
                                       return_exceptions=True)
        elapsed = time.monotonic() - started
    server_cpu = cpu_seconds(server_pid) - server_cpu
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, RuntimeError | httpx.HTTPError):
            tally.errors.append(f"candidate: {type(result).__name__}: {result}"[:200])
    latencies = sorted(tally.latencies)
    return {
        "concurrency": concurrency, "seconds": round(elapsed, 2), "interviews": tally.interviews,
        "interviews_per_s": round(tally.interviews / elapsed, 2), "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 50) * 1e3, 2), "p99_ms": round(_percentile(latencies, 99) * 1e3, 2),
        "max_ms": round(latencies[-1] * 1e3, 2) if latencies else None,
        "server_cpu_ms_per_request": round(server_cpu / max(1, len(latencies)) * 1e3, 2),
        "errors": len(tally.errors), "error_samples": sorted(set(tally.errors))[:5],
        "ws_questions_missed": tally.questions_expected - tally.questions_seen,
    }


def _percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def postgres_database(create: bool, name: str) -> None:
    """Create (or drop) a scratch database for one benchmark run."""
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def bench_backend(backend: str, levels: list[int], workdir: Path, workers: int = 1) -> list[dict[str, Any]]:
    database = f"ie_load_{os.getpid()}_{workers}"
    if backend == "postgres":
        asyncio.run(postgres_database(True, database))
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        url = f"{base}/{database}"
    else:
        url = f"sqlite+aiosqlite:///{workdir}/load.db"
    pool = str(20 // workers)  # every process's pools together stay within Postgres's 100 connections
    environment = {**FAST_TEST_ENVIRONMENT, "INTERVIEW_ENGINE_DATABASE_URL": url,
                   "INTERVIEW_ENGINE_SERVER_SECRET_KEY": SECRET, "INTERVIEW_ENGINE_SERVER_DB_POOL_SIZE": pool}
    rows = []
    try:
        with ServerProcess(workdir / f"{backend}-{workers}", environment,
                           arguments=("--no-access-log", "--workers", str(workers))) as server:
            api_key = server.credentials().api_key
            for level in levels:
                assert server.process is not None
                row = asyncio.run(run_load(server.url, api_key, level, server.process.pid))
                rows.append({"backend": backend, "workers": workers, **row})
                _print_row(rows[-1], rows[0])
    finally:
        if backend == "postgres":
            asyncio.run(postgres_database(False, database))
    return rows


HEADER = (f"{'backend':12}{'N':>5}{'interviews/s':>14}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'p50 x':>7}{'p99 x':>7}{'errors':>8}{'ws missed':>10}{'cpu ms/req':>11}")


def _print_row(row: dict[str, Any], baseline: dict[str, Any]) -> None:
    row["p50_vs_baseline"] = round(row["p50_ms"] / baseline["p50_ms"], 2)
    row["p99_vs_baseline"] = round(row["p99_ms"] / baseline["p99_ms"], 2)
    label = row["backend"] if row["workers"] == 1 else f"{row['backend']} x{row['workers']}"
    print(f"{label:12}{row['concurrency']:5d}{row['interviews_per_s']:14.2f}{row['requests_per_s']:8.1f}"
          f"{row['p50_ms']:9.1f}{row['p99_ms']:9.1f}{row['max_ms']:9.1f}{row['p50_vs_baseline']:6.1f}x"
          f"{row['p99_vs_baseline']:6.1f}x{row['errors']:8d}{row['ws_questions_missed']:10d}"
          f"{row['server_cpu_ms_per_request']:11.2f}", flush=True)
    for sample in row["error_samples"]:
        print(f"{'':14}error: {sample}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 100, 250, 500])
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, default=1,
                        help="also run Postgres with this many server processes (the target is for one)")
    args = parser.parse_args()
    print(HEADER)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends:
            rows += bench_backend(backend, args.concurrency, Path(tmp))
        if args.workers > 1:
            rows += bench_backend("postgres", args.concurrency, Path(tmp), workers=args.workers)
    target = {f"{r['backend']} N={r['concurrency']}": r["p99_ms"] < 100 and r["errors"] == 0
              and r["ws_questions_missed"] == 0 for r in rows if r["concurrency"] == 500 and r["workers"] == 1}
    if target:
        print("target (500 concurrent, p99 < 100 ms, 0 errors): " +
              ", ".join(f"{k} {'met' if ok else 'MISSED'}" for k, ok in target.items()))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "target_met": target, "machine": platform.platform(),
                                   "cpus": os.cpu_count(), "python": platform.python_version()}, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
