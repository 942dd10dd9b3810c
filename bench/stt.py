"""Speech-to-text benchmark: the offline transcribers (faster_whisper and pocketsphinx) side by side on the
same flite clips (word error rate, real-time factor, streams one core sustains), and the latency the engine
adds between Deepgram's final result and the host (against the local fake server).

    .venv/bin/python bench/stt.py [--quick]

Prints a table and writes bench/results/stt.json. Speech is synthesised with flite (Debian ``flite``).
Word error rate is ``interview_engine.testing.speech.word_error_rate``: word edits over reference words,
pooled over the clips, after lower-casing and dropping punctuation. Each engine runs pinned to one core
with one decoding thread; pocketsphinx is the baseline the ratios compare against.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
from interview_engine_deepgram.testing import FakeDeepgram
from interview_engine_deepgram.transcriber import DeepgramTranscriber
from interview_engine_faster_whisper.transcriber import FasterWhisperTranscriber
from interview_engine_pocketsphinx.transcriber import PocketsphinxTranscriber
from proc_cpu import tree_cpu_s

from interview_engine.media.audio_pipeline import AnswerEnded, AudioPipeline
from interview_engine.media.endpoint import EndpointConfig
from interview_engine.models import TranscriptEvent, TranscriptionOptions
from interview_engine.testing.speech import ANSWERS, say, with_pause, word_error_rate

RESULTS = Path(__file__).parent / "results" / "stt.json"
CHUNK = 640  # 20 ms of 16 kHz s16le
OPTIONS = TranscriptionOptions(language="en", interim_results=False)
"""Capacity is measured on finals: faster_whisper's partials only use workers that are idle anyway."""
ENGINES: dict[str, Callable[[], Any]] = {
    "pocketsphinx": lambda: PocketsphinxTranscriber(workers=1),
    "faster_whisper": lambda: FasterWhisperTranscriber(workers=1, cpu_threads=1),
}
BASELINE = "pocketsphinx"


async def chunks(pcm: bytes, delay: float = 0.0) -> AsyncIterator[bytes]:
    for at in range(0, len(pcm), CHUNK):
        if delay:
            await anyio.sleep(delay)
        yield pcm[at:at + CHUNK]


async def measure(make: Callable[[], Any], clips: list[bytes], pcm: bytes, counts: tuple[int, ...]
                  ) -> dict[str, Any]:
    """Load time, word error rate over ``clips``, and the wall and CPU seconds to stream ``n`` copies of
    ``pcm`` at once (as fast as the engine takes them) for each ``n`` in ``counts``."""
    started = time.perf_counter()
    transcriber = make()
    load_s = time.perf_counter() - started
    try:
        texts = [(await transcriber.transcribe(clip, OPTIONS)).text for clip in clips]

        async def one() -> None:
            async for _ in transcriber.stream(chunks(pcm), OPTIONS):
                pass

        walls, cpus = [], []
        for n in counts:
            started, cpu = time.perf_counter(), tree_cpu_s(os.getpid())
            async with anyio.create_task_group() as tg:
                for _ in range(n):
                    tg.start_soon(one)
            walls.append(time.perf_counter() - started)
            cpus.append(tree_cpu_s(os.getpid()) - cpu)  # decoder processes included
    finally:
        await transcriber.aclose()
    return {"load_s": round(load_s, 2), "wer": round(word_error_rate(list(ANSWERS), texts), 4),
            "hypotheses": texts, "walls": walls, "cpus": cpus}


def bench_engine(name: str, clips: list[bytes], pcm: bytes, quick: bool) -> dict[str, Any]:
    audio_s = len(pcm) / 32000
    counts = (1, 2) if quick else (1, 2, 4, 6, 8)
    saved = os.sched_getaffinity(0)
    core = sorted(saved)[0]
    os.sched_setaffinity(0, {core})  # threads started from here on inherit it
    try:
        result = anyio.run(measure, ENGINES[name], clips, pcm, counts)
    finally:
        os.sched_setaffinity(0, saved)
    walls, cpus = result.pop("walls"), result.pop("cpus")
    rows = [{"streams": n, "wall_s": round(w, 3), "rtf_per_stream": round(w / audio_s, 4),
             "cpu_s_per_audio_s": round(c / (n * audio_s), 4)}
            for n, w, c in zip(counts, walls, cpus, strict=True)]
    single, cpu_rtf = rows[0]["rtf_per_stream"], rows[0]["cpu_s_per_audio_s"]
    return {**result, "audio_s": round(audio_s, 2), "core": core, "runs": rows, "rtf_single_stream": single,
            "cpu_rtf": cpu_rtf, "streams_per_core_estimate": round(1 / cpu_rtf, 1) if cpu_rtf else None,
            "streams_per_core_measured": max((r["streams"] for r in rows if r["rtf_per_stream"] <= 1.0),
                                             default=0)}


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
    parser.add_argument("--quick", action="store_true", help="fewer stream counts and latency runs")
    args = parser.parse_args()
    clips = [say(text) for text in ANSWERS]
    pcm = with_pause(*clips, pause_s=1.0)
    engines = {name: bench_engine(name, clips, pcm, args.quick) for name in ENGINES}
    latency = anyio.run(deepgram_latency, 5 if args.quick else 30)
    result = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "processor": platform.processor() or platform.machine(),
                          "load_average": os.getloadavg()},
              "clips": list(ANSWERS), "offline": engines, "deepgram_fake_latency": latency}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")

    base = engines[BASELINE]
    print(f"offline transcribers on one core, {len(clips)} flite clips ({base['audio_s']} s streamed with pauses); "
          f"ratios against {BASELINE}")
    print("RTF: wall s per audio s, one stream (inflated when others use the core); CPU RTF: CPU s per audio s")
    print(f"{'engine':<16} {'WER':>6} {'RTF':>7} {'CPU RTF':>8} {'x base':>7} {'streams/core':>13} "
          f"{'(1/CPU RTF)':>12} {'load s':>7}")
    for name, e in engines.items():
        print(f"{name:<16} {e['wer']:>6.3f} {e['rtf_single_stream']:>7.3f} {e['cpu_rtf']:>8.3f} "
              f"{e['cpu_rtf'] / base['cpu_rtf']:>7.2f} {e['streams_per_core_measured']:>13} "
              f"{e['streams_per_core_estimate']:>12} {e['load_s']:>7.2f}")
    print(f"\n{'engine':<16} {'streams':>8} {'wall s':>8} {'RTF/stream':>11} {'CPU RTF/stream':>15}")
    for name, e in engines.items():
        for row in e["runs"]:
            print(f"{name:<16} {row['streams']:>8} {row['wall_s']:>8.2f} {row['rtf_per_stream']:>11.3f} "
                  f"{row['cpu_s_per_audio_s']:>15.3f}")
    print(f"\nfake Deepgram, {latency['runs']} answers through AudioPipeline")
    print(f"{'latency':<36} {'median':>8} {'p95':>8} {'max':>8}")
    for name in ("final_to_host_ms", "end_of_audio_to_answer_ended_ms"):
        print(f"{name:<36} {latency[name + '_median']:>8.2f} {latency[name + '_p95']:>8.2f} "
              f"{latency[name + '_max']:>8.2f}")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
