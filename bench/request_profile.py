"""CPU time per request of the reference server, per candidate action, with cProfile's top entries.

The app runs in this process (uvicorn on 127.0.0.1, instant fake providers, SQLite or Postgres) and one
client drives it one request at a time, so ``time.process_time`` around a request is the CPU the request
cost this process: the server's work plus the client's, which the baseline rows measure (a 404 that
touches no database, and ``/v1/health``, one trivial query). CPU time is robust on a busy machine where
wall time is not. Then each action runs again under cProfile and the entries with the most cumulative
time are listed (coroutine entries count once per resumption, so read them as shares, not call counts).

    python bench/request_profile.py [-n 50] [--backend sqlite|postgres] [--top 12]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from load import POSTGRES_ADMIN_URL, postgres_database  # this folder is on sys.path when run as a script
from websockets.asyncio.client import connect

sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
# The client's httpcore imports sniffio (not installed here) on every request; a None entry makes that
# failed import a dict lookup instead of a search of sys.path, so the client costs less in every row.

RESULTS = Path(__file__).parent / "results" / "request_profile.json"
SPEC = {"role": "Backend engineer", "question_count": 3, "max_follow_ups": 0}
SECRET = "bench-secret-for-the-request-profile-0123456789"
WARMUP = 3
BASELINE = "404 (no db)"

Action = Callable[[], Awaitable[None]]


class Client:
    """The candidate's and the HR back end's requests, each checked for success."""

    def __init__(self, http: httpx.AsyncClient, ws_url: str, api_key: str) -> None:
        self.http, self.ws_url, self.api_key = http, ws_url, api_key

    async def call(self, method: str, path: str, token: str, body: Any = None, ok: int = 200) -> Any:
        response = await self.http.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
        if response.status_code != ok:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    async def interview(self, *, consent: bool = True) -> tuple[str, str, dict[str, Any]]:
        """A new interview: its id, a candidate token and the candidate's state (after consent)."""
        created = await self.call("POST", "/v1/interviews", self.api_key, {"spec": SPEC}, ok=201)
        interview_id, token = created["interview_id"], created["candidate"]["token"]
        state = await self.call("GET", f"/v1/interviews/{interview_id}/candidate", token)
        if consent:
            state = await self.call("POST", f"/v1/interviews/{interview_id}/candidate/consent", token,
                                    {"accept": True, "notice_sha256": state["consent_notice"]["sha256"]})
        return interview_id, token, state


async def actions(client: Client, n: int) -> dict[str, Callable[[int], Awaitable[None]]]:
    """Each measured action as ``run(i)`` for the i-th repetition; what one needs is prepared here."""
    interview_id, token, state = await client.interview()
    base = f"/v1/interviews/{interview_id}/candidate"
    question_id = state["current_question"]["id"]
    # one fresh, consented interview per answer (each answer moves its interview on)
    answering = [await client.interview() for _ in range(n + WARMUP)]
    fresh = [await client.interview(consent=False) for _ in range(n + WARMUP)]

    async def not_found(i: int) -> None:
        response = await client.http.get("/v1/no-such-route")
        assert response.status_code == 404

    async def health(i: int) -> None:
        response = await client.http.get("/v1/health")
        assert response.status_code == 200

    async def create(i: int) -> None:
        await client.call("POST", "/v1/interviews", client.api_key, {"spec": SPEC}, ok=201)

    async def candidate_state(i: int) -> None:
        await client.call("GET", base, token)

    async def question(i: int) -> None:
        await client.call("GET", f"{base}/question", token)

    async def draft(i: int) -> None:
        await client.call("PUT", f"{base}/draft", token, {"question_id": question_id, "text": f"draft {i}"})

    async def consent(i: int) -> None:
        fresh_id, fresh_token, fresh_state = fresh[i]
        await client.call("POST", f"/v1/interviews/{fresh_id}/candidate/consent", fresh_token,
                          {"accept": True, "notice_sha256": fresh_state["consent_notice"]["sha256"]})

    async def answer(i: int) -> None:
        answer_id, answer_token, answer_state = answering[i]
        await client.call("POST", f"/v1/interviews/{answer_id}/candidate/answers", answer_token,
                          {"question_id": answer_state["current_question"]["id"], "text": "I would measure first."},
                          ok=201)

    async def refresh_token(i: int) -> None:
        await client.call("POST", f"{base}/token", token)

    async def event_socket(i: int) -> None:
        async with connect(f"{client.ws_url}/v1/interviews/{interview_id}/events", proxy=None) as socket:
            await socket.send(json.dumps({"type": "auth", "token": token}))
            while json.loads(await socket.recv())["type"] != "event":  # ready, then the replay
                pass
            await socket.send(json.dumps({"type": "ping"}))
            while json.loads(await socket.recv())["type"] != "pong":
                pass

    return {BASELINE: not_found, "health (1 query)": health, "create (api key)": create,
            "state": candidate_state, "question": question, "draft PUT": draft, "consent": consent,
            "answer POST": answer, "token refresh": refresh_token, "event socket": event_socket}


async def measure(run: Callable[[int], Awaitable[None]], n: int, offset: int) -> dict[str, float]:
    """CPU and wall milliseconds per call over ``n`` sequential calls."""
    cpu, wall = [], []
    for i in range(offset, offset + n):
        c0, w0 = time.process_time(), time.perf_counter()
        await run(i)
        cpu.append((time.process_time() - c0) * 1e3)
        wall.append((time.perf_counter() - w0) * 1e3)
    return {"cpu_ms_mean": round(statistics.fmean(cpu), 3), "cpu_ms_median": round(statistics.median(cpu), 3),
            "wall_ms_median": round(statistics.median(wall), 3)}


async def profile(run: Callable[[int], Awaitable[None]], n: int, offset: int, top: int,
                  dump: Path | None) -> dict[str, list[Any]]:
    """cProfile (CPU time) over ``n`` calls, per call: the project's entries with the most cumulative time,
    and the entries anywhere with the most time of their own."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for i in range(offset, offset + n):
        await run(i)
    profiler.disable()
    if dump is not None:
        profiler.dump_stats(dump)
    stats = pstats.Stats(profiler)
    ours, everything = [], []
    for (filename, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename.split("site-packages/")[-1].split("/src/")[-1]
        entry = {"where": f"{short}:{line} {name}", "calls_per_req": round(calls / n, 1),
                 "own_ms_per_req": round(tottime / n * 1e3, 3), "cum_ms_per_req": round(cumtime / n * 1e3, 3)}
        everything.append(entry)
        if short.startswith("interview_engine") and "/security.py" not in short:  # not the middleware chain
            ours.append(entry)
    return {"cumulative": sorted(ours, key=lambda e: -e["cum_ms_per_req"])[:top],
            "own": sorted(everything, key=lambda e: -e["own_ms_per_req"])[:top]}


async def run_all(database_url: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    import uvicorn

    from interview_engine import Engine
    from interview_engine_server.app import create_app
    from interview_engine_server.bootstrap import create_tenant
    from interview_engine_server.settings import load_server_settings
    from interview_engine_server.testing import FAST_TEST_ENVIRONMENT, free_port

    os.environ.update({**FAST_TEST_ENVIRONMENT, "INTERVIEW_ENGINE_DATABASE_URL": database_url,
                       "INTERVIEW_ENGINE_SERVER_SECRET_KEY": SECRET,
                       "INTERVIEW_ENGINE_SERVER_DATA_DIR": str(workdir / "data")})
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(load_server_settings(public_url=url), engine=Engine())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, server_header=False))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.05)
    try:
        credentials = await create_tenant(app.state.services, "bench", name="Bench", admin_email="a@bench.example")
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            client = Client(http, url.replace("http://", "ws://"), credentials.api_key)
            rows = []
            n = args.n
            for name, run in (await actions(client, 2 * n)).items():
                if args.only and name.split()[0] not in args.only and name != BASELINE:
                    continue
                await measure(run, WARMUP, 0)
                row = {"action": name, **await measure(run, n, WARMUP)}
                dump = args.pstats / f"{name.split()[0]}.prof" if args.pstats else None
                row["profile"] = await profile(run, n, WARMUP + n, args.top, dump)
                rows.append(row)
                print(f"{name:18}{row['cpu_ms_mean']:10.2f}{row['cpu_ms_median']:12.2f}{row['wall_ms_median']:12.2f}",
                      flush=True)
        return {"rows": rows}
    finally:
        server.should_exit = True
        await serving


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="requests per action (default 50)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--top", type=int, default=12, help="profile entries per action (default 12)")
    parser.add_argument("--only", nargs="+", metavar="ACTION", help="these actions (first word), and the baseline")
    parser.add_argument("--pstats", type=Path, help="a folder to write each action's cProfile stats into")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.pstats:
        args.pstats.mkdir(parents=True, exist_ok=True)
    database = f"ie_profile_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "postgres":
            asyncio.run(postgres_database(True, database))
            base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
            url = f"{base}/{database}"
        else:
            url = f"sqlite+aiosqlite:///{tmp}/profile.db"
        print(f"{'action':18}{'cpu ms':>10}{'cpu median':>12}{'wall median':>12}   ({args.backend}, n={args.n})")
        try:
            result = asyncio.run(run_all(url, Path(tmp), args))
        finally:
            if args.backend == "postgres":
                asyncio.run(postgres_database(False, database))
    baseline = result["rows"][0]["cpu_ms_mean"]
    print(f"\nbaseline: {baseline:.2f} cpu ms for a 404 (middleware, routing, the client); per action, beyond it:")
    for row in result["rows"]:
        row["cpu_ms_over_baseline"] = round(row["cpu_ms_mean"] - baseline, 3)
        print(f"  {row['action']:18}{row['cpu_ms_over_baseline']:8.2f} ms")
        for title, entries in row["profile"].items():
            print(f"    {title} (ms per request):")
            for entry in entries:
                print(f"      {entry['cum_ms_per_req']:7.2f} cum {entry['own_ms_per_req']:6.2f} own "
                      f"{entry['calls_per_req']:6.1f}x  {entry['where'][:100]}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "backend": args.backend, "n": args.n, "rows": result["rows"], "machine": platform.platform(),
        "cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg(),
    }, indent=2))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
