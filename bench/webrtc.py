"""Live interviews over WebRTC: concurrent candidate peers against one real server process, until real time
breaks. Each candidate creates an interview, consents, sends a flite sentence over WebRTC (48 kHz like a
browser's microphone, Opus, UDP on this machine's other interface), then silence, and waits on the event
socket for the answer.

    .venv/bin/python bench/webrtc.py [--quick] [--offline faster_whisper,pocketsphinx] [--counts-offline 1,2,4,8]
        [--counts-deepgram 1,10,25,50] [--stagger-s 0.05]

The server is ``interview-engine serve`` (Postgres, a fresh database per transcriber; ``live_silence_s``
1 s) with each offline transcriber (faster_whisper, the embedded default for English, and pocketsphinx)
or Deepgram against the local fake server; the client peers run in a process of their own. Per count:

- first transcript: first speech frame sent → first transcript event received (audio latency);
- final after speech: last speech frame sent → last ``transcript.final`` received;
- answer after silence: the moment the silence setting ends the answer → ``answer.recorded`` received
  (what the server adds after the answer is due: final transcript, storing, events);
- added by the server: "final after speech" minus the transcriber's own time, which is the same sentence
  streamed in real time (16 kHz, 20 ms chunks) straight into the same transcriber in this process;
- server CPU (cores used while the sessions ran, its decoder processes included), CPU seconds per session,
  client CPU, errors (sessions that failed or timed out).

Candidates start ``--stagger-s`` apart: 0.05 s (the default) has every candidate finish speaking within
moments of the others, the burst that costs most; a larger value spreads the answers' ends as live
interviews spread them. Real time breaks at the first count with errors or an "answer after silence" p95
above 2 s. The one-session row is the same-run baseline the others are compared with. Prints a table and
writes bench/results/webrtc.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from interview_engine_deepgram.testing import FakeDeepgram
from load import POSTGRES_ADMIN_URL, postgres_database
from proc_cpu import tree_cpu_s
from scipy.signal import resample_poly
from websockets.asyncio.client import connect as ws_connect

from interview_engine import TranscriptionOptions
from interview_engine.plugins import ProviderRegistry, build_plugin_manager
from interview_engine.testing.speech import say
from interview_engine_server.media.testing import LiveCandidate, SpeechTrack
from interview_engine_server.testing import FAST_TEST_ENVIRONMENT, ServerProcess

RESULTS = Path(__file__).parent / "results" / "webrtc.json"
SENTENCE = "our team reviewed every pull request before it reached the main branch"
SILENCE_S = 1.0
BREAK_P95_S = 2.0
SECRET = "bench-secret-for-the-live-webrtc-benchmark-0123456789"
SPEC = {"role": "Backend engineer", "language": "en", "question_count": 2, "max_follow_ups": 0}
OFFLINE = ("faster_whisper", "pocketsphinx")
MICROPHONE_RATE = 48_000


# --- the client process -------------------------------------------------------------------------------

async def one_session(http: httpx.AsyncClient, key: str, pcm: bytes, start_after: float) -> dict[str, float]:
    await asyncio.sleep(start_after)
    created = (await http.post("/v1/interviews", json={"spec": SPEC}, headers={"Authorization": key})).json()
    interview_id, token = created["interview_id"], created["candidate"]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/v1/interviews/{interview_id}/candidate"
    notice = (await http.get(base, headers=headers)).json()["consent_notice"]["sha256"]
    consent = await http.post(f"{base}/consent", headers=headers,
                              json={"accept": True, "notice_sha256": notice, "transcription": True})
    consent.raise_for_status()
    candidate = LiveCandidate(http, interview_id, token)
    ws_url = str(http.base_url).replace("http://", "ws://").rstrip("/") + f"/v1/interviews/{interview_id}/events"
    first = last_final = recorded = None
    try:
        async with ws_connect(ws_url, additional_headers=headers, proxy=None) as socket:
            track = SpeechTrack(pcm, MICROPHONE_RATE)
            offered = time.monotonic()
            await candidate.connect(track)
            answered = time.monotonic()
            await candidate.connected(timeout=60)
            connected = time.monotonic()
            async with asyncio.timeout(60):
                while recorded is None:
                    message = json.loads(await socket.recv())
                    if message["type"] != "event":
                        continue
                    kind, now = message["event"]["type"], time.monotonic()
                    if kind.startswith("transcript.") and first is None:
                        first = now
                    if kind == "transcript.final":
                        last_final = now
                    if kind == "answer.recorded":
                        recorded = now
        assert track._t0 is not None and track.spoke_at is not None and first is not None
        assert last_final is not None
        return {"offer_s": answered - offered, "connect_s": connected - answered,
                "first_transcript_s": first - track._t0, "final_after_speech_s": last_final - track.spoke_at,
                "answer_after_silence_s": recorded - (track.spoke_at + SILENCE_S)}
    finally:
        await candidate.close()


async def clients(url: str, key: str, n: int, pcm: bytes, stagger_s: float) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        results = await asyncio.gather(*(one_session(http, key, pcm, stagger_s * i) for i in range(n)),
                                       return_exceptions=True)
    ok = [r for r in results if isinstance(r, dict)]
    errors = [f"{type(r).__name__}: {r}"[:200] for r in results if not isinstance(r, dict)]
    return {"sessions": ok, "errors": errors}


def microphone_pcm(pcm16k: bytes) -> bytes:
    """The 16 kHz recording at the rate a browser's microphone captures (zero-phase, so no sample moves):
    aiortc's Opus encoder, given 16 kHz frames, resamples them and sends each a frame late."""
    samples = np.frombuffer(pcm16k, "<i2").astype(np.float64)
    upsampled = resample_poly(samples, MICROPHONE_RATE // 16_000, 1)
    return np.clip(np.round(upsampled), -32768, 32767).astype("<i2").tobytes()


def client_main(url: str, key: str, n: int, pcm_path: str, stagger_s: float) -> None:
    started = resource.getrusage(resource.RUSAGE_SELF)
    out = asyncio.run(clients(url, key, n, microphone_pcm(Path(pcm_path).read_bytes()), stagger_s))
    used = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_s"] = used.ru_utime + used.ru_stime - started.ru_utime - started.ru_stime
    print(json.dumps(out))


# --- the driver ---------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 3)


def run_count(server: ServerProcess, key: str, n: int, pcm_path: str, stagger_s: float) -> dict[str, Any]:
    assert server.process is not None
    cpu0, wall0 = tree_cpu_s(server.process.pid), time.perf_counter()
    child = subprocess.run([sys.executable, __file__, "--client", server.url, key, str(n), pcm_path,
                            str(stagger_s)],
                           capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - wall0
    server_cpu = tree_cpu_s(server.process.pid) - cpu0
    if child.returncode != 0:
        return {"sessions": n, "errors": n, "error_samples": [child.stderr[-500:]], "wall_s": round(wall, 1)}
    out = json.loads(child.stdout.strip().splitlines()[-1])
    row: dict[str, Any] = {"sessions": n, "errors": len(out["errors"]), "error_samples": out["errors"][:3],
                           "wall_s": round(wall, 1), "server_cores": round(server_cpu / wall, 2),
                           "server_cpu_s_per_session": round(server_cpu / n, 3),
                           "client_cores": round(out["cpu_s"] / wall, 2)}
    for metric in ("offer_s", "connect_s", "first_transcript_s", "final_after_speech_s", "answer_after_silence_s"):
        values = [s[metric] for s in out["sessions"]]
        row[f"{metric}_p50"], row[f"{metric}_p95"] = percentile(values, 0.5), percentile(values, 0.95)
    p95 = row["answer_after_silence_s_p95"]
    row["real_time"] = row["errors"] == 0 and p95 is not None and p95 <= BREAK_P95_S
    return row


async def transcriber_alone(plugin: str, options: dict[str, Any], pcm: bytes, repeats: int = 4) -> list[float]:
    """End of speech to the last final transcript with ``pcm`` streamed in real time (20 ms chunks, then
    silence) straight into the transcriber: its own time, without WebRTC or the server. The first run
    warms it up and is not counted."""
    registry = ProviderRegistry(build_plugin_manager(allow=[plugin]))
    transcriber = registry.create("transcriber", plugin, options)
    chunk, times = 640, []
    try:
        for _ in range(repeats):
            marks: dict[str, float] = {}

            async def audio(marks: dict[str, float] = marks) -> Any:
                t0 = time.monotonic()
                for k in range(len(pcm) // chunk + 250):  # up to 5 s of silence after the speech
                    wait = t0 + k * 0.02 - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    if k * chunk >= len(pcm):
                        marks.setdefault("spoke", time.monotonic())
                    if "final" in marks:
                        return
                    yield pcm[k * chunk:(k + 1) * chunk].ljust(chunk, b"\0")

            async for event in transcriber.stream(audio(), TranscriptionOptions(language="en")):
                if event.kind == "final" and "spoke" in marks:
                    marks["final"] = time.monotonic()
            times.append(marks["final"] - marks["spoke"])
    finally:
        await transcriber.aclose()
    return times[1:]


def bench(name: str, environment: dict[str, str], counts: list[int], pcm_path: str, work: Path, stagger_s: float
          ) -> list[dict[str, Any]]:
    database = f"ie_webrtc_{name}_{os.getpid()}"
    asyncio.run(postgres_database(True, database))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    env = {**FAST_TEST_ENVIRONMENT, "INTERVIEW_ENGINE_SERVER_SECRET_KEY": SECRET,
           "INTERVIEW_ENGINE_DATABASE_URL": f"{base}/{database}", "INTERVIEW_ENGINE_SERVER_DB_POOL_SIZE": "20",
           "INTERVIEW_ENGINE_SERVER_LIVE_SILENCE_S": str(SILENCE_S), "INTERVIEW_ENGINE_SERVER_LIVE_MAX_PEERS": "1000",
           "INTERVIEW_ENGINE_SERVER_ICE_TIMEOUT_S": "60", **environment}
    rows = []
    try:
        with ServerProcess(work / name, env, arguments=("--no-access-log",)) as server:
            key = f"Bearer {server.credentials().api_key}"
            for n in counts:
                row = run_count(server, key, n, pcm_path, stagger_s)
                if row["errors"]:
                    row["server_log"] = [line for line in server.log_path.read_text().splitlines()
                                         if "Error" in line or "error" in line][-5:]
                rows.append(row)
                print(f"  {name}: {n} sessions -> real time {row.get('real_time')}", file=sys.stderr)
                if not row.get("real_time"):
                    break
    finally:
        asyncio.run(postgres_database(False, database))
    return rows


def fake_deepgram() -> tuple[FakeDeepgram, asyncio.AbstractEventLoop, threading.Thread]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeDeepgram()
    asyncio.run_coroutine_threadsafe(fake.__aenter__(), loop).result(30)
    return fake, loop, thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer counts")
    parser.add_argument("--offline", default=",".join(OFFLINE), help="offline transcribers to run, in order")
    parser.add_argument("--counts-offline", default=None)
    parser.add_argument("--counts-deepgram", default=None)
    parser.add_argument("--stagger-s", type=float, default=0.05,
                        help="seconds between one candidate's start and the next (0.05: all speak at once)")
    args = parser.parse_args()
    offline = [int(c) for c in (args.counts_offline or ("1,2,4" if args.quick else "1,2,4,6,8,10")).split(",")]
    deepgram = [int(c) for c in (args.counts_deepgram or ("1,10" if args.quick else "1,10,25,50,75")).split(",")]
    fake, loop, _ = fake_deepgram()
    deepgram_options = {"api_key": fake.api_key, "api_url": fake.api_url, "ws_url": fake.ws_url}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "speech.pcm").write_bytes(say(SENTENCE))
        (work / "tones.pcm").write_bytes(fake.speech("I would add an index on user_id then check the plan"))
        plugins = [name for name in args.offline.split(",") if name]
        alone = {name: asyncio.run(transcriber_alone(name, {}, (work / "speech.pcm").read_bytes())) for name in plugins}
        alone["deepgram_fake"] = asyncio.run(transcriber_alone("deepgram", deepgram_options,
                                                               (work / "tones.pcm").read_bytes()))
        results = {name: bench(name, {"INTERVIEW_ENGINE_PLUGINS": name, "INTERVIEW_ENGINE_TRANSCRIBER": name},
                               offline, str(work / "speech.pcm"), work, args.stagger_s)
                   for name in plugins}
        results["deepgram_fake"] = bench("deepgram", {
            "INTERVIEW_ENGINE_PLUGINS": "deepgram", "INTERVIEW_ENGINE_TRANSCRIBER": "deepgram",
            "INTERVIEW_ENGINE_TRANSCRIBER_OPTIONS": json.dumps(deepgram_options)},
            deepgram, str(work / "tones.pcm"), work, args.stagger_s)
    own = {name: percentile(times, 0.5) for name, times in alone.items()}
    for name, rows in results.items():
        for row in rows:
            final = row.get("final_after_speech_s_p50")
            row["transcriber_own_s_p50"] = own[name]
            row["added_by_server_s_p50"] = round(final - own[name], 3) if final is not None and own[name] else None
    asyncio.run_coroutine_threadsafe(fake.__aexit__(None, None, None), loop).result(30)
    report = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "load_average": os.getloadavg()}, "silence_s": SILENCE_S, "stagger_s": args.stagger_s,
              "transcriber_alone_s": alone, "results": results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"live sessions against one server process ({os.cpu_count()} CPUs), starting {args.stagger_s} s apart; "
          "times in seconds, p50/p95; "
          "x base: final-after-speech p95 against the one-session row; added: final-after-speech p50 minus the "
          "transcriber's own time (" + ", ".join(f"{k} {v}" for k, v in own.items()) + ")")
    print(f"{'transcriber':<14} {'n':>3} {'first transcript':>17} {'final after speech':>19} {'added':>7} "
          f"{'answer after silence':>21} {'x base':>7} {'srv cores':>9} {'cpu s/sess':>10} {'cli cores':>9} "
          f"{'errors':>6} {'rt':>3}")
    for name, rows in results.items():
        base = rows[0].get("final_after_speech_s_p95") if rows else None
        for r in rows:
            def pair(metric: str, r: dict[str, Any] = r) -> str:
                return f"{r.get(metric + '_p50')}/{r.get(metric + '_p95')}"
            p95 = r.get("final_after_speech_s_p95")
            ratio = f"{p95 / base:.2f}" if p95 and base else "-"
            print(f"{name:<14} {r['sessions']:>3} {pair('first_transcript_s'):>17} {pair('final_after_speech_s'):>19} "
                  f"{r.get('added_by_server_s_p50')!s:>7} {pair('answer_after_silence_s'):>21} {ratio:>7} "
                  f"{r.get('server_cores', '-'):>9} {r.get('server_cpu_s_per_session', '-'):>10} "
                  f"{r.get('client_cores', '-'):>9} {r['errors']:>6} {'yes' if r.get('real_time') else 'no':>3}")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], float(sys.argv[6]))
    else:
        main()
