"""The `interview-engine` command end to end, in subprocesses: reports, listings, migrations, and one
line on stderr with a non-zero exit for every bad input, with nothing stored."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SPEC = {"role": "Backend engineer", "level": "mid", "language": "en", "question_count": 3,
        "custom_questions": ["Why this team?"], "max_follow_ups": 0}
ANSWERS = ["I profiled the endpoint and added a composite index, p99 went from 900 ms to 180 ms in a week.",
           "I want to build fair hiring tools and this team ships carefully with real users in mind.",
           "I would cache per-tenant settings in Redis with a short TTL and keep Postgres as the truth."]


def cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEW_ENGINE_")}
    base.update({"INTERVIEW_ENGINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
                 "INTERVIEW_ENGINE_PLUGINS": ""})
    return subprocess.run([sys.executable, "-m", "interview_engine", *args], cwd=tmp_path, env={**base, **(env or {})},
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def write(tmp_path: Path, name: str, content: object) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def run(tmp_path: Path, spec: object, answers: object, *flags: str,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`interview-engine run` on a spec and answers written to files."""
    spec_file, answers_file = write(tmp_path, "s.json", spec), write(tmp_path, "a.json", answers)
    return cli(tmp_path, "run", "--spec", spec_file, "--answers", answers_file, *flags, env=env)


def interviews_stored(tmp_path: Path) -> int:
    db = tmp_path / "cli.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return conn.execute("SELECT count(*) FROM interviews").fetchone()[0] if "interviews" in tables else 0


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert result.stdout == ""


def test_run_without_an_evaluator_reports_no_scores(tmp_path: Path) -> None:
    result = run(tmp_path, SPEC, ANSWERS, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["overall_score"] is None and not report["evaluator_configured"]
    assert report["notes"][0].startswith("No evaluator is configured")
    assert [q["answer"]["text"] for q in report["questions"]] == ANSWERS
    assert "Why this team?" in [q["question"]["text"] for q in report["questions"]]


def test_run_with_an_evaluator_plugin_scores(tmp_path: Path) -> None:
    env = {"INTERVIEW_ENGINE_PLUGIN_MODULES": "interview_engine.testing.plugin",
           "INTERVIEW_ENGINE_EVALUATOR": "fake", "INTERVIEW_ENGINE_EVALUATOR_OPTIONS": '{"default_score": 64}'}
    result = run(tmp_path, SPEC, {"answers": [{"text": a} for a in ANSWERS]}, "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["overall_score"] == 64


def test_run_prints_a_readable_report(tmp_path: Path) -> None:
    result = run(tmp_path, SPEC, ANSWERS[:1])
    assert result.returncode == 0, result.stderr
    assert "Interview report — Backend engineer" in result.stdout and "(not answered)" in result.stdout


@pytest.mark.parametrize("spec, needles", [
    ('{"role": "x",', ("spec file", "not valid JSON", "line 1")),
    (b'{"role": "caf\xc3"}', ("not valid UTF-8",)),
    ("[1, 2]", ("must hold a JSON object",)),
    ({"level": "mid"}, ("invalid interview spec", "role")),
    ({"role": "x", "language": "de"}, ("language",)),
    ({"role": "x", "job_description": "j" * 1_000_000}, ("job_description",)),
])
def test_bad_spec_files(tmp_path: Path, spec: object, needles: tuple[str, ...]) -> None:
    result = run(tmp_path, spec, ANSWERS)
    assert_one_line_error(result, *needles)
    assert interviews_stored(tmp_path) == 0


@pytest.mark.parametrize("answers, needles", [
    ("not json", ("answers file", "not valid JSON")),
    (b'["ok", "\xff\xfe broken"]', ("not valid UTF-8",)),
    ({"text": "x"}, ("must hold a JSON list",)),
    (["fine answer", "  "], ("answer 2", "empty")),
    (["fine answer", 7], ("answer 2", "string")),
    (["x" * 1_000_000], ("answer 1", "limit")),
])
def test_bad_answer_files_store_nothing(tmp_path: Path, answers: object, needles: tuple[str, ...]) -> None:
    result = run(tmp_path, SPEC, answers)
    assert_one_line_error(result, *needles)
    assert interviews_stored(tmp_path) == 0


def test_missing_file(tmp_path: Path) -> None:
    result = cli(tmp_path, "run", "--spec", str(tmp_path / "nope.json"), "--answers", str(tmp_path / "a.json"))
    assert_one_line_error(result, "cannot read spec file", "No such file")


@pytest.mark.parametrize("env, needles", [
    ({"INTERVIEW_ENGINE_EVALUATOR": "gpt9"}, ("no evaluator named 'gpt9'", "available")),
    ({"INTERVIEW_ENGINE_QUESTION_SOURCE": "oracle"}, ("no question_source named 'oracle'", "bank")),
    ({"INTERVIEW_ENGINE_PLUGINS": "not-a-plugin"}, ("not installed", "not-a-plugin")),
    ({"INTERVIEW_ENGINE_JOB_CONCURRENCY": "many"}, ("invalid settings", "job_concurrency")),
    ({"INTERVIEW_ENGINE_EVALUATOR_OPTIONS": "{broken"}, ("invalid settings",)),
    ({"INTERVIEW_ENGINE_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/x"}, ("cannot connect",)),
])
def test_bad_settings(tmp_path: Path, env: dict[str, str], needles: tuple[str, ...]) -> None:
    result = run(tmp_path, SPEC, ANSWERS, env=env)
    assert_one_line_error(result, *needles)
    assert interviews_stored(tmp_path) == 0


def test_config_file(tmp_path: Path) -> None:
    write(tmp_path, "interview-engine.toml", 'question_source = "nowhere"\n')
    result = run(tmp_path, SPEC, ANSWERS)
    assert_one_line_error(result, "nowhere")
    result = cli(tmp_path, "--config", str(tmp_path / "missing.toml"), "plugins")
    assert_one_line_error(result, "does not exist")


def test_plugins_lists_versions_and_providers(tmp_path: Path) -> None:
    result = cli(tmp_path, "plugins", "--json", env={"INTERVIEW_ENGINE_PLUGINS": "keywords"})
    assert result.returncode == 0, result.stderr
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert listed["keywords"]["version"] == "0.1.0"
    assert listed["interview_engine.builtin.question_bank"]["providers"] == {"question_source": ["bank"]}
    text = cli(tmp_path, "plugins", env={"INTERVIEW_ENGINE_PLUGINS": "keywords"}).stdout
    assert "keywords 0.1.0 (plugin)" in text and "evaluator: keywords" in text


def test_interactive_interview(tmp_path: Path) -> None:
    stdin = "First answer about caching\nwith two lines\n\n\n   \nSecond answer here\n\n"
    result = cli(tmp_path, "interview", "--questions", "3", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert "an empty answer is not recorded" in result.stdout
    assert "First answer about caching" in result.stdout and "(not answered)" in result.stdout


def test_worker_needs_arq(tmp_path: Path) -> None:
    assert_one_line_error(cli(tmp_path, "worker"), "INTERVIEW_ENGINE_JOBS=arq")


def test_db_upgrade_sqlite(tmp_path: Path) -> None:
    result = cli(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert interviews_stored(tmp_path) == 0 and "revision head" in result.stdout


@pytest.mark.postgres
def test_db_upgrade_postgres(tmp_path: Path, postgres_url: str) -> None:
    result = cli(tmp_path, "db", "upgrade", env={"INTERVIEW_ENGINE_DATABASE_URL": postgres_url})
    assert result.returncode == 0, result.stderr
    again = cli(tmp_path, "db", "upgrade", env={"INTERVIEW_ENGINE_DATABASE_URL": postgres_url})
    assert again.returncode == 0, again.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert cli(tmp_path, "run").returncode == 2
    assert cli(tmp_path, "frobnicate").returncode == 2
