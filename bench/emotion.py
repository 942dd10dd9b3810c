"""Emotion analysis cost per frame, end to end (RGB frame in, EmotionReading out, including the hop off
the event loop): fer_lite against deepface on a random-weight model, side by side on one pinned core
with single-threaded numerics. Prints a table and writes bench/results/emotion.json. Not a test.

    .venv/bin/python bench/emotion.py [--frames 60] [--only fer_lite]

CPU ms counts this process and, for deepface, its worker process: on a busy machine it is the fairer
figure, since wall time then includes waiting for the core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import numpy as np

RESULTS = Path(__file__).parent / "results" / "emotion.json"
TARGET_MS = 20.0
FRAME_SIZE = (480, 640)


def pin_to_one_core() -> int:
    """Run this process (and the workers it spawns) on one core with single-threaded numerics."""
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import cv2

    cv2.setNumThreads(1)
    return core


def webcam_frame() -> np.ndarray:
    """A 640x480 RGB frame with one smiling face (scikit-image's astronaut, scaled to the frame height)."""
    import cv2
    from skimage import data

    face = cv2.resize(data.astronaut(), (FRAME_SIZE[0], FRAME_SIZE[0]), interpolation=cv2.INTER_AREA)
    frame = np.full((*FRAME_SIZE, 3), 60, np.uint8)
    left = (FRAME_SIZE[1] - FRAME_SIZE[0]) // 2
    frame[:, left:left + FRAME_SIZE[0]] = face
    return frame


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def cpu_seconds() -> float:
    """CPU time of this process and its live children (the analyzers' worker processes)."""
    import multiprocessing

    total = time.process_time()
    ticks = os.sysconf("SC_CLK_TCK")
    for child in multiprocessing.active_children():
        fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


async def measure(name: str, make: Callable[[], Any], frame: np.ndarray, frames: int) -> dict[str, Any]:
    started = time.perf_counter()
    analyzer = make()
    await analyzer.analyze(frame)
    startup_s = time.perf_counter() - started
    for _ in range(3):
        await analyzer.analyze(frame)
    walls, faces = [], []
    cpu_before = cpu_seconds()
    for _ in range(frames):
        t0 = time.perf_counter()
        reading = await analyzer.analyze(frame)
        walls.append((time.perf_counter() - t0) * 1000)
        faces.append(len(reading.faces))
    cpu_ms = (cpu_seconds() - cpu_before) * 1000 / frames
    await analyzer.aclose()
    ordered = sorted(walls)
    return {
        "analyzer": name, "frames": frames, "startup_s": round(startup_s, 2),
        "wall_ms_p50": round(statistics.median(walls), 1), "wall_ms_mean": round(statistics.fmean(walls), 1),
        "wall_ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1), "cpu_ms_mean": round(cpu_ms, 1),
        "faces_per_frame": statistics.fmean(faces), "dominant": reading.faces[0].dominant if reading.faces else None,
    }


def analyzers(only: str | None, home: str) -> dict[str, Callable[[], Any]]:
    from interview_engine_deepface.analyzer import DeepFaceAnalyzer
    from interview_engine_deepface.testing import install_random_emotion_model
    from interview_engine_fer_lite.analyzer import FerLiteAnalyzer

    install_random_emotion_model(home)
    makers: dict[str, Callable[[], Any]] = {
        "fer_lite": lambda: FerLiteAnalyzer(workers=1, num_threads=1),
        "deepface (random weights)": lambda: DeepFaceAnalyzer(workers=1, home=home),
    }
    return {k: v for k, v in makers.items() if only is None or k.startswith(only)}


def table(rows: list[dict[str, Any]]) -> str:
    columns = ["analyzer", "frames", "startup_s", "wall_ms_p50", "wall_ms_mean", "wall_ms_p95", "cpu_ms_mean",
               "faces_per_frame", "dominant"]
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in columns]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(str(r[c]).ljust(w) for c, w in zip(columns, widths, strict=True)) for r in rows]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> None:
    core = pin_to_one_core()
    frame = webcam_frame()
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as home:
        for name, make in analyzers(args.only, home).items():
            rows.append(await measure(name, make, frame, args.frames))
    report = {
        "what": "ms per 640x480 frame, end to end through EmotionAnalyzer.analyze, one pinned core",
        "target_ms_fer_lite": TARGET_MS,
        "machine": {"cpu": cpu_model(), "core": core,
                    "cpus_online": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
                    "python": platform.python_version()},
        "results": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(table(rows))
    print(f"load average before/after: {load_before[0]:.2f} / {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores;"
          f" results in {RESULTS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--only", choices=["fer_lite", "deepface"])
    anyio.run(run, parser.parse_args())


if __name__ == "__main__":
    main()
