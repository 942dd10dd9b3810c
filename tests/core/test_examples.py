"""The runnable examples keep working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_sdk_example_runs_an_interview(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEW_ENGINE_")}
    env.update({"INTERVIEW_ENGINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'ex.db'}",
                "INTERVIEW_ENGINE_PLUGINS": ""})
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "sdk_interview.py")], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\nA: ") + result.stdout.startswith("A: ") >= 4
    assert "Why do you want to work on HR software?" in result.stdout
    assert "Overall: not scored" in result.stdout and "No evaluator is configured" in result.stdout
