"""Speech-to-text benchmark: pocketsphinx real-time factor and streams per core, and the latency the
engine adds between Deepgram's final result and the host (against the local fake server).

    .venv/bin/python bench/stt.py [--quick]

Prints a table and writes bench/results/stt.json. Speech is synthesised with flite (Debian ``flite``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from interview_engine_deepgram import DeepgramTranscriber
from interview_engine_deepgram.testing import FakeDeepgram
from interview_engine_pocketsphinx import PocketsphinxTranscriber

from interview_engine.media.audio import read_wav
from interview_engine.media.audio_pipeline import AnswerEnded, AudioPipeline
from interview_engine.media.endpoint import EndpointConfig
from interview_engine.models import TranscriptEvent, TranscriptionOptions

RESULTS = Path(__file__).parent / "results" / "stt.json"
SENTENCES = [
    "I would write the service in python and keep the data in a postgres database",
    "first I would look at the slow query plan and then add an index on the user column",
    "we deploy every service with containers and watch the latency after each release",
]
CHUNK = 640  # 20 ms of 16 kHz s16le


def flite_speech() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        parts = []
        for i, text in enumerate(SENTENCES):
            wav = Path(folder) / f"{i}.wav"
            subprocess.run(["flite", "-voice", "kal16", "-t", text, "-o", str(wav)], check=True)
            parts.append(read_wav(wav.read_bytes()) + bytes(16000))
    return b"".join(parts)


async def chunks(pcm: bytes, delay: float = 0.0) -> AsyncIterator[bytes]:
    for at in range(0, len(pcm), CHUNK):
        if delay:
            await anyio.sleep(delay)
        yield pcm[at:at + CHUNK]


async def pocketsphinx_streams(pcm: bytes, n: int) -> float:
    """Stream ``n`` copies at once as fast as possible; returns wall seconds."""
    transcriber = PocketsphinxTranscriber(workers=n)
    options = TranscriptionOptions(vocabulary=["Postgres"])
    await transcriber.transcribe(pcm[:16000], options)  # warm one decoder up
    started = time.perf_counter()

    async def one() -> None:
        async for _ in transcriber.stream(chunks(pcm), options):
            pass

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(one)
    wall = time.perf_counter() - started
    await transcriber.aclose()
    return wall


def bench_pocketsphinx(pcm: bytes, quick: bool) -> dict[str, object]:
    audio_s = len(pcm) / 32000
    core = sorted(os.sched_getaffinity(0))[0]
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        rows = []
        for n in (1, 2) if quick else (1, 2, 4, 6, 8):
            wall = anyio.run(pocketsphinx_streams, pcm, n)
            rows.append({"streams": n, "wall_s": round(wall, 3), "rtf_per_stream": round(wall / audio_s, 4)})
    finally:
        os.sched_setaffinity(0, saved)
    single = rows[0]["rtf_per_stream"]
    sustained = max((r["streams"] for r in rows if r["rtf_per_stream"] <= 1.0), default=0)
    return {"audio_s": round(audio_s, 2), "core": core, "runs": rows, "rtf_single_stream": single,
            "streams_per_core_estimate": int(1 / single) if single else None,
            "streams_per_core_measured": sustained}


async def deepgram_latency(runs: int) -> dict[str, object]:
    """Per answer: Deepgram final sent -> final event at the host, and end of audio -> AnswerEnded."""
    final_ms: list[float] = []
    end_ms: list[float] = []
    async with FakeDeepgram() as server:
        transcriber = DeepgramTranscriber(api_key=server.api_key, api_url=server.api_url, ws_url=server.ws_url)
        pcm = server.speech("I would add an index on user_id") + bytes(16000)
        for _ in range(runs):
            source_done = 0.0

            async def source() -> AsyncIterator[bytes]:
                nonlocal source_done
                async for chunk in chunks(pcm, delay=0.001):
                    yield chunk
                source_done = time.perf_counter()

            pipeline = AudioPipeline(transcriber, TranscriptionOptions(language="ko"),
                                     endpoint=EndpointConfig(silence_s=30))
            received: list[float] = []
            async with pipeline.listen(source()) as events:
                async for event in events:
                    now = time.perf_counter()
                    if isinstance(event, TranscriptEvent) and event.kind == "final":
                        received.append(now)
                    elif isinstance(event, AnswerEnded):
                        assert event.text == "I would add an index on user_id", event.text
                        end_ms.append((now - source_done) * 1000)
            sent = server.connections[-1].final_sent_at
            final_ms += [(r - s) * 1000 for s, r in zip(sent, received, strict=True)]
        await transcriber.aclose()
    return {"runs": runs, "finals": len(final_ms), **_stats("final_to_host_ms", final_ms),
            **_stats("end_of_audio_to_answer_ended_ms", end_ms)}


def _stats(name: str, values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {f"{name}_median": round(statistics.median(ordered), 2),
            f"{name}_p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
            f"{name}_max": round(ordered[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    pcm = flite_speech()
    sphinx = bench_pocketsphinx(pcm, args.quick)
    latency = anyio.run(deepgram_latency, 5 if args.quick else 30)
    result = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "processor": platform.processor() or platform.machine()},
              "pocketsphinx": sphinx, "deepgram_fake_latency": latency}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")

    print(f"pocketsphinx streaming on one core ({sphinx['audio_s']} s of flite speech per stream)")
    print(f"{'streams':>8} {'wall s':>8} {'RTF/stream':>11}")
    for row in sphinx["runs"]:  # type: ignore[attr-defined]
        print(f"{row['streams']:>8} {row['wall_s']:>8.2f} {row['rtf_per_stream']:>11.3f}")
    print(f"streams one core sustains: {sphinx['streams_per_core_measured']} measured, "
          f"{sphinx['streams_per_core_estimate']} estimated from single-stream RTF")
    print(f"\nfake Deepgram, {latency['runs']} answers through AudioPipeline")
    print(f"{'latency':<36} {'median':>8} {'p95':>8} {'max':>8}")
    for name in ("final_to_host_ms", "end_of_audio_to_answer_ended_ms"):
        print(f"{name:<36} {latency[name + '_median']:>8.2f} {latency[name + '_p95']:>8.2f} "
              f"{latency[name + '_max']:>8.2f}")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
