"""What importing the SDK costs, in this tree and in an earlier revision, each in fresh interpreters.

Each statement runs in a new interpreter that times it with ``time.perf_counter`` (wall) and
``time.process_time`` (CPU: the shared machine's load inflates wall time, not CPU time); the table shows
medians over ``--runs`` interpreters and the ratio to the earlier revision. The earlier revision's files
are taken from git (``--before``; by default the last commit before ``interview_engine/plugin_api.py``
existed) and put first on ``PYTHONPATH``, so both sides use the same installed libraries.

    python bench/import_time.py [--runs 15] [--before REV]

Target: ``import interview_engine`` under 100 ms.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).parents[1]
RESULTS = Path(__file__).parent / "results" / "import_time.json"
STATEMENTS = {
    "import interview_engine": "import interview_engine",
    "plugin entry point (hookimpl)": "from interview_engine import hookimpl",
    "discover every installed plugin": ("from interview_engine.plugins import ProviderRegistry, "
                                        "build_plugin_manager; ProviderRegistry(build_plugin_manager())"),
    "from interview_engine import Engine": "from interview_engine import Engine",
}
TIMER = ("import time; w, c = time.perf_counter(), time.process_time()\n{statement}\n"
         "print(time.perf_counter() - w, time.process_time() - c)")
TARGET_MS = 100.0


def git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True).stdout


def default_before() -> str:
    added = git("log", "--diff-filter=A", "--format=%H", "--", "src/interview_engine/plugin_api.py").split()
    return f"{added[-1].decode()}~1" if added else "HEAD"


def source_paths(tree: Path) -> list[str]:
    """The ``src`` directories of the core, every plugin and the example plugin under ``tree``."""
    return [str(p) for p in [tree / "src", *sorted(tree.glob("plugins/*/src")), *sorted(tree.glob("examples/*/src"))]]


def extract(revision: str, into: Path) -> Path:
    with tarfile.open(fileobj=io.BytesIO(git("archive", revision, "src", "plugins", "examples"))) as archive:
        archive.extractall(into, filter="data")
    return into


def measure(statement: str, paths: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``statement`` over ``runs`` fresh interpreters."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEW_ENGINE_")}
    env["PYTHONPATH"] = os.pathsep.join(paths)
    walls, cpus = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", TIMER.format(statement=statement)], env=env, cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout.split()
        walls.append(float(out[-2]))
        cpus.append(float(out[-1]))
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", default=None, help="git revision to compare with")
    args = parser.parse_args()
    before = args.before or default_before()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        old = source_paths(extract(before, Path(tmp)))
        new = source_paths(ROOT)
        for label, statement in STATEMENTS.items():
            (old_wall, old_cpu), (new_wall, new_cpu) = measure(statement, old, args.runs), measure(statement, new,
                                                                                                    args.runs)
            rows[label] = {"before_wall_ms": old_wall * 1e3, "before_cpu_ms": old_cpu * 1e3,
                           "now_wall_ms": new_wall * 1e3, "now_cpu_ms": new_cpu * 1e3,
                           "ratio_cpu": new_cpu / old_cpu if old_cpu else None}
    print(f"before = {before}; medians of {args.runs} fresh interpreters")
    print(f"{'':34}{'before ms':>20}{'now ms':>20}{'now/before':>12}")
    print(f"{'':34}{'wall':>10}{'cpu':>10}{'wall':>10}{'cpu':>10}{'cpu':>12}")
    for label, r in rows.items():
        ratio = f"{r['ratio_cpu']:.2f}x" if r["ratio_cpu"] is not None else "-"
        print(f"{label:34}{r['before_wall_ms']:10.1f}{r['before_cpu_ms']:10.1f}{r['now_wall_ms']:10.1f}"
              f"{r['now_cpu_ms']:10.1f}{ratio:>12}")
    met = rows["import interview_engine"]["now_cpu_ms"] < TARGET_MS
    print(f"target: import interview_engine under {TARGET_MS:.0f} ms CPU: {'met' if met else 'MISSED'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"before": before, "runs": args.runs, "rows": rows, "target_met": met,
                                   "machine": platform.platform(), "python": platform.python_version()},
                                  indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
