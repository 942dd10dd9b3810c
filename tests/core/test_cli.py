"""The `interview-engine` command: reports, listings, migrations, and one line on stderr with a non-zero exit
(never a traceback) for every bad input, with nothing stored; untrusted text is shown, never obeyed by the
terminal. Most cases drive ``main(argv)`` in this process; pipes, terminals and stdout faults use a real
subprocess (and a pseudo-terminal)."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import termios
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from interview_engine.cli import interactive, main

SPEC = {"role": "Backend engineer", "level": "mid", "language": "en", "question_count": 3,
        "custom_questions": ["Why this team?"], "max_follow_ups": 0}
TWO_QUESTIONS = {"role": "Backend engineer", "question_count": 2, "max_follow_ups": 0,
                 "custom_questions": ["What did you build last?", "Why this team?"]}
ANSWERS = ["I profiled the endpoint and added a composite index, p99 went from 900 ms to 180 ms in a week.",
           "I want to build fair hiring tools and this team ships carefully with real users in mind.",
           "I would cache per-tenant settings in Redis with a short TTL and keep Postgres as the truth."]
FAKE_EVALUATOR = {"INTERVIEW_ENGINE_PLUGIN_MODULES": "interview_engine.testing.plugin",
                  "INTERVIEW_ENGINE_EVALUATOR": "fake"}
LIMIT = 10 * 1024 * 1024
Result = subprocess.CompletedProcess


# -- running the command ---------------------------------------------------------------------------------------

@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``main(argv)`` in this process runs in tmp_path on a private SQLite database, with no entry-point plugins."""
    for name in [n for n in os.environ if n.startswith("INTERVIEW_ENGINE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("INTERVIEW_ENGINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("INTERVIEW_ENGINE_PLUGINS", "")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> Result[str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return Result(list(argv), code, out, err)


def call_run(capsys: pytest.CaptureFixture[str], tmp_path: Path, spec: object, answers: object,
             *flags: str) -> Result[str]:
    """`interview-engine run` in this process on a spec and answers written to files."""
    return call(capsys, "run", "--spec", write(tmp_path, "s.json", spec),
                "--answers", write(tmp_path, "a.json", answers), *flags)


def cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None, stdin: bytes | str | None = None,
        timeout: float = 120) -> Result[str]:
    """The command in a subprocess, with stdin and stdout as pipes."""
    result = subprocess.run([sys.executable, "-m", "interview_engine", *args], cwd=tmp_path,
                            env=subprocess_env(tmp_path, env), capture_output=True, timeout=timeout,
                            input=stdin.encode() if isinstance(stdin, str) else stdin)
    return Result(result.args, result.returncode, result.stdout.decode(), result.stderr.decode())


def subprocess_env(tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEW_ENGINE_")}
    base.update({"INTERVIEW_ENGINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
                 "INTERVIEW_ENGINE_PLUGINS": ""})
    return {**base, **(extra or {})}


def write(tmp_path: Path, name: str, content: object) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def run(tmp_path: Path, spec: object, answers: object, *flags: str,
        env: dict[str, str] | None = None) -> Result[str]:
    """`interview-engine run` in a subprocess on a spec and answers written to files."""
    spec_file, answers_file = write(tmp_path, "s.json", spec), write(tmp_path, "a.json", answers)
    return cli(tmp_path, "run", "--spec", spec_file, "--answers", answers_file, *flags, env=env)


def interviews_stored(tmp_path: Path) -> int:
    db = tmp_path / "cli.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return conn.execute("SELECT count(*) FROM interviews").fetchone()[0] if "interviews" in tables else 0


def interview_state(tmp_path: Path, interview_id: str) -> tuple[str, int]:
    """The stored state of an interview and how many answers it holds."""
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        state = conn.execute("SELECT state FROM interviews WHERE id = ?", (interview_id,)).fetchone()[0]
        answers = conn.execute("SELECT count(*) FROM answers WHERE interview_id = ?", (interview_id,)).fetchone()[0]
    return state, answers


def assert_one_line_error(result: Result[str], *needles: str) -> None:
    assert result.returncode not in (0, None)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert result.stdout == ""


def resume_id(text: str) -> str:
    match = re.search(r"interview-engine interview --resume (\w+)", text)
    assert match, text
    return match.group(1)


# -- run: reports ------------------------------------------------------------------------------------------------

def test_run_without_an_evaluator_reports_no_scores(tmp_path: Path) -> None:
    result = run(tmp_path, SPEC, ANSWERS, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["overall_score"] is None and not report["evaluator_configured"]
    assert report["notes"][0].startswith("No evaluator is configured")
    assert [q["answer"]["text"] for q in report["questions"]] == ANSWERS
    assert "Why this team?" in [q["question"]["text"] for q in report["questions"]]


def test_run_with_an_evaluator_plugin_scores(here: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**FAKE_EVALUATOR, "INTERVIEW_ENGINE_EVALUATOR_OPTIONS": '{"default_score": 64}'}.items():
        monkeypatch.setenv(name, value)
    result = call_run(capsys, here, SPEC, {"answers": [{"text": a} for a in ANSWERS]}, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["overall_score"] == 64


def test_run_prints_a_readable_report(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = call_run(capsys, here, SPEC, ANSWERS[:1])
    assert result.returncode == 0, result.stderr
    assert "Interview report — Backend engineer" in result.stdout and "(not answered)" in result.stdout


def test_spec_with_a_byte_order_mark_is_read(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = call_run(capsys, here, b"\xef\xbb\xbf" + json.dumps(SPEC).encode(), ANSWERS, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["role"] == "Backend engineer"


# -- run: untrusted text never drives the terminal ---------------------------------------------------------------

HOSTILE = ("Fine answer \x1b]0;owned\x07 then \x1b[2J\x1b[31mred, C1 \x9b31m and \x90dcs\x9c, "
           "a bidi \u202eevil\u202c, a carriage\rreturn, back\x08space, zero\u200bwidth and a\u2028separator")


def terminal_controls(text: str) -> set[str]:
    """Characters in ``text`` that a terminal could act on (line feeds are the report's own)."""
    return {c for c in text if c != "\n" and unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"}}


def test_run_shows_control_characters_in_answers_instead_of_sending_them(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = {**SPEC, "role": "Backend \x1b[5mengineer"}
    text = call_run(capsys, here, spec, [HOSTILE])
    assert text.returncode == 0, text.stderr
    assert terminal_controls(text.stdout) == set()
    assert r"\x1b]0;owned\x07" in text.stdout and r"\x9b31m" in text.stdout and r"\u202eevil" in text.stdout
    assert r"Backend \x1b[5mengineer" in text.stdout

    as_json = call_run(capsys, here, spec, [HOSTILE], "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert terminal_controls(as_json.stdout) == set()
    report = json.loads(as_json.stdout)
    assert report["questions"][0]["answer"]["text"] == HOSTILE.strip() and report["role"] == spec["role"]


# -- run: bad input files ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, needles", [
    ('{"role": "x",', ("spec file", "not valid JSON", "line 1")),
    (b'{"role": "caf\xc3"}', ("not valid UTF-8",)),
    ("[1, 2]", ("must hold a JSON object",)),
    ({"level": "mid"}, ("invalid interview spec", "role")),
    ({"role": "x", "language": "de"}, ("language",)),
    ({"role": "x", "job_description": "j" * 1_000_000}, ("job_description",)),
    ("", ("spec file", "is empty")),
    (" \n\t", ("is empty",)),
    ("[" * 100_000 + "]" * 100_000, ("spec file", "nested deeper than")),
    ('{"role": "x", "custom_questions": ' + "[" * 40 + "]" * 40 + "}", ("nested deeper than 32",)),
    ('{"role": "x", "question_count": ' + "9" * 5000 + "}", ("a number with 5,000 digits",)),
    ('{"role": "x", "question_count": NaN}', ("NaN", "not valid JSON")),
    ('{"role": "x", "question_count": 1e999}', ("1e999", "out of range")),
    ('{"role": "x", "role": "y"}', ("the key 'role' twice",)),
], ids=["syntax", "utf8", "list", "no-role", "language", "too-long", "empty", "blank", "deep", "nested", "bigint",
        "nan", "overflow", "duplicate-key"])
def test_bad_spec_files(here: Path, capsys: pytest.CaptureFixture[str], spec: object,
                        needles: tuple[str, ...]) -> None:
    assert_one_line_error(call_run(capsys, here, spec, ANSWERS), *needles)
    assert interviews_stored(here) == 0


@pytest.mark.parametrize("answers, needles", [
    ("not json", ("answers file", "not valid JSON")),
    (b'["ok", "\xff\xfe broken"]', ("not valid UTF-8",)),
    ({"text": "x"}, ("must hold a JSON list",)),
    (["fine answer", "  "], ("answer 2", "empty")),
    (["fine answer", 7], ("answer 2", "string")),
    (["x" * 1_000_000], ("answer 1", "limit")),
    ("[" * 100_000 + "]" * 100_000, ("answers file", "nested deeper than")),
    (["an answer"] * 100_000, ("100,000 answers", "at most 3 questions")),
], ids=["syntax", "utf8", "object", "blank", "number", "too-long", "deep", "too-many"])
def test_bad_answer_files_store_nothing(here: Path, capsys: pytest.CaptureFixture[str], answers: object,
                                        needles: tuple[str, ...]) -> None:
    assert_one_line_error(call_run(capsys, here, SPEC, answers), *needles)
    assert interviews_stored(here) == 0


def test_missing_file(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = call(capsys, "run", "--spec", str(here / "nope.json"), "--answers", str(here / "a.json"))
    assert_one_line_error(result, "cannot read spec file", "No such file")


@pytest.mark.parametrize("path, needles", [
    (".", ("cannot read spec file", "directory")),
    ("/dev/zero", ("spec file", f"larger than the limit of {LIMIT:,} bytes")),
    ("/proc/self/mem", ("cannot read spec file", "Input/output error")),
], ids=["directory", "endless", "unreadable"])
def test_spec_paths_that_are_not_json_files(here: Path, capsys: pytest.CaptureFixture[str], path: str,
                                            needles: tuple[str, ...]) -> None:
    assert_one_line_error(call(capsys, "run", "--spec", path, "--answers", write(here, "a.json", ANSWERS)),
                          *needles)
    assert interviews_stored(here) == 0


def test_a_fifo_is_read_with_a_bound(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = here / "spec.fifo"
    os.mkfifo(fifo)

    def flood() -> None:  # 11 MB of white space, then a spec: valid JSON, but over the limit
        try:
            with open(fifo, "wb") as pipe:
                for _ in range(11):
                    pipe.write(b" " * 1024 * 1024)
                pipe.write(json.dumps(SPEC).encode())
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=flood)
    writer.start()
    result = call(capsys, "run", "--spec", str(fifo), "--answers", write(here, "a.json", ANSWERS))
    writer.join(timeout=30)
    assert_one_line_error(result, f"larger than the limit of {LIMIT:,} bytes")
    assert interviews_stored(here) == 0


def test_answers_through_a_pipe_are_read_with_a_bound(tmp_path: Path) -> None:
    spec = write(tmp_path, "s.json", SPEC)
    flood = cli(tmp_path, "run", "--spec", spec, "--answers", "/dev/stdin",
                stdin=b" " * (LIMIT + 1024) + json.dumps(ANSWERS).encode())
    assert_one_line_error(flood, "answers file '/dev/stdin'", f"larger than the limit of {LIMIT:,} bytes")
    assert interviews_stored(tmp_path) == 0
    piped = cli(tmp_path, "run", "--spec", spec, "--answers", "/dev/stdin", "--json", stdin=json.dumps(ANSWERS))
    assert piped.returncode == 0, piped.stderr
    assert [q["answer"]["text"] for q in json.loads(piped.stdout)["questions"]] == ANSWERS


# -- run: waiting for scores -------------------------------------------------------------------------------------

def test_run_timeout_is_one_line_and_the_report_follows_later(
    here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in FAKE_EVALUATOR.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INTERVIEW_ENGINE_EVALUATOR_OPTIONS", '{"delay": 60}')
    monkeypatch.setenv("INTERVIEW_ENGINE_JOB_SHUTDOWN_GRACE_S", "0")
    slow = call_run(capsys, here, SPEC, ANSWERS, "--timeout", "0.3")
    assert_one_line_error(slow, "did not settle within 0.3 s", "nothing is lost")
    interview_id = re.search(r"interview-engine report (\w+)", slow.stderr).group(1)  # type: ignore[union-attr]
    assert interview_state(here, interview_id) == ("finished", 3)

    monkeypatch.setenv("INTERVIEW_ENGINE_EVALUATOR_OPTIONS", '{"default_score": 81}')
    later = call(capsys, "report", interview_id, "--json", "--timeout", "30")
    assert later.returncode == 0, later.stderr
    assert json.loads(later.stdout)["overall_score"] == 81


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "soon"])
def test_timeout_must_be_a_positive_number_of_seconds(
    here: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--spec", write(here, "s.json", SPEC), "--answers", write(here, "a.json", ANSWERS),
              "--timeout", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and "positive number of seconds" in err and "Traceback" not in err


def test_report_of_an_unknown_or_unfinished_interview(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(call(capsys, "report", "nosuchinterview"), "nosuchinterview")


# -- settings and other commands ---------------------------------------------------------------------------------

@pytest.mark.parametrize("env, needles", [
    ({"INTERVIEW_ENGINE_EVALUATOR": "gpt9"}, ("no evaluator named 'gpt9'", "available")),
    ({"INTERVIEW_ENGINE_QUESTION_SOURCE": "oracle"}, ("no question_source named 'oracle'", "bank")),
    ({"INTERVIEW_ENGINE_PLUGINS": "not-a-plugin"}, ("not installed", "not-a-plugin")),
    ({"INTERVIEW_ENGINE_JOB_CONCURRENCY": "many"}, ("invalid settings", "job_concurrency")),
    ({"INTERVIEW_ENGINE_EVALUATOR_OPTIONS": "{broken"}, ("invalid settings",)),
    ({"INTERVIEW_ENGINE_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/x"}, ("cannot connect",)),
])
def test_bad_settings(here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                      env: dict[str, str], needles: tuple[str, ...]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert_one_line_error(call_run(capsys, here, SPEC, ANSWERS), *needles)
    assert interviews_stored(here) == 0


def test_a_multi_line_error_is_shown_on_one_line(tmp_path: Path) -> None:
    env = {"INTERVIEW_ENGINE_DATABASE_URL": "sqlite+aiosqlite:////nonexistent/dir/x.db"}
    assert_one_line_error(run(tmp_path, SPEC, ANSWERS, env=env), "cannot connect", "(Background on this error")


def test_an_exception_escaping_a_thread_is_logged_not_printed(tmp_path: Path) -> None:
    write(tmp_path, "late_thread.py", "import threading, time\n"
          "def fail():\n    time.sleep(0.3)\n    raise RuntimeError('Event loop is closed')\n"
          "threading.Thread(target=fail, name='leftover').start()\n")
    env = {"PYTHONPATH": str(tmp_path), "INTERVIEW_ENGINE_PLUGIN_MODULES": "late_thread"}
    quiet = cli(tmp_path, "plugins", env=env)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    verbose = cli(tmp_path, "-v", "plugins", env=env)
    assert "leftover ended with an exception nobody waited for: RuntimeError" in verbose.stderr


def test_config_file(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, "interview-engine.toml", 'question_source = "nowhere"\n')
    assert_one_line_error(call_run(capsys, here, SPEC, ANSWERS), "nowhere")
    assert_one_line_error(call(capsys, "--config", str(here / "missing.toml"), "plugins"), "does not exist")


@pytest.mark.parametrize("content, needles", [
    ("x = " + "[" * 100_000 + "]" * 100_000, ("nested too deeply",)),
    ("x = " + "{a=" * 5_000 + "1" + "}" * 5_000, ("nested too deeply",)),
    ("job_concurrency = " + "9" * 5_000, ("not valid TOML", "digits")),
    ("job_concurrency = 1\n= 2", ("not valid TOML", "line 2")),
    (b"\xff\xfe\x00j\x00o\x00b", ("not valid UTF-8",)),
], ids=["deep-array", "deep-table", "bigint", "syntax", "binary"])
def test_garbage_config_files(here: Path, capsys: pytest.CaptureFixture[str], content: str | bytes,
                              needles: tuple[str, ...]) -> None:
    config = write(here, "garbage.toml", content)
    assert_one_line_error(call(capsys, "--config", config, "plugins"), "config file", *needles)


def test_unexpected_errors_are_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    write(here, "exploding_plugin.py", "raise ZeroDivisionError('the plugin divided by zero')\n")
    monkeypatch.syspath_prepend(str(here))
    monkeypatch.setenv("INTERVIEW_ENGINE_PLUGIN_MODULES", "exploding_plugin")
    assert_one_line_error(call(capsys, "plugins"), "ZeroDivisionError: the plugin divided by zero", "-v")


def test_plugins_lists_versions_and_providers(here: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEW_ENGINE_PLUGINS", "keywords")
    result = call(capsys, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert listed["keywords"]["version"] == "0.1.0"
    assert listed["interview_engine.builtin.question_bank"]["providers"] == {"question_source": ["bank"]}
    text = call(capsys, "plugins").stdout
    assert "keywords 0.1.0 (plugin)" in text and "evaluator: keywords" in text


def test_a_closed_stdout_ends_quietly(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "interview_engine", "plugins"], cwd=tmp_path,
                            env=subprocess_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader went away (`interview-engine plugins | head -0`) before anything was written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) != 0
    assert err == "", err


def test_output_the_terminal_cannot_encode_is_escaped(tmp_path: Path) -> None:
    spec = {**TWO_QUESTIONS, "language": "ko", "role": "백엔드 엔지니어"}
    result = run(tmp_path, spec, ["캐시를 도입했습니다."], env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert r"\ubc31\uc5d4\ub4dc" in result.stdout and r"\uce90\uc2dc" in result.stdout


def test_worker_needs_arq(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(call(capsys, "worker"), "INTERVIEW_ENGINE_JOBS=arq")


def test_db_upgrade_sqlite(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = call(capsys, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert interviews_stored(here) == 0 and "revision head" in result.stdout


def test_db_upgrade_to_an_unknown_revision(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(call(capsys, "db", "upgrade", "--revision", "nonsense"), "nonsense")


@pytest.mark.postgres
def test_db_upgrade_postgres(tmp_path: Path, postgres_url: str) -> None:
    result = cli(tmp_path, "db", "upgrade", env={"INTERVIEW_ENGINE_DATABASE_URL": postgres_url})
    assert result.returncode == 0, result.stderr
    again = cli(tmp_path, "db", "upgrade", env={"INTERVIEW_ENGINE_DATABASE_URL": postgres_url})
    assert again.returncode == 0, again.stderr


def test_usage_errors_exit_2(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["run"], ["frobnicate"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_run_help_documents_the_input_files(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    help_text = capsys.readouterr().out
    for needle in ('"role"', '"question_count"', '"custom_questions"', '"rubric"', '{"answers": [...]}',
                   '{"text": ...}', "10 MiB", "UTF-8"):
        assert needle in help_text, needle


# -- interview: typed answers from a pipe (stdin of a subprocess, or in-process a pipe of its own) --------------

def test_interview_asks_again_after_a_rejected_answer(tmp_path: Path) -> None:
    stdin = (b"\n"                                   # an empty answer
             b"caf\xc3 is not UTF-8\n\n"              # invalid UTF-8
             + b"x" * 25_000 + b"\n\n"                # a 25,000-character paste
             + b"y" * 200_000 + b"\nmore\n\n"         # far over the limit: drained to the empty line
             + b"First answer about caching\nwith two lines\n\n"
             + b"Second answer here\n\n")
    result = cli(tmp_path, "interview", "--spec", write(tmp_path, "s.json", TWO_QUESTIONS), stdin=stdin)
    assert result.returncode == 0, result.stderr
    rejections = re.findall(r"\(not recorded: (.*?); answer again", result.stdout)
    assert rejections == ["answer is empty", "answer is not valid UTF-8 (byte 3)",
                          "answer is 25,000 characters; the limit is 20,000",
                          "answer is longer than the limit of 20,000 characters"]
    assert "First answer about caching with two lines" in result.stdout and "Second answer here" in result.stdout
    assert "(not answered)" not in result.stdout and "Traceback" not in result.stderr


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bytes], None]]:
    """``typed(keys)``: the in-process interview reads ``keys`` from a pipe, then the end of input."""
    pipes: list[int] = []

    def type_keys(keys: bytes) -> None:
        read_end, write_end = os.pipe()
        os.write(write_end, keys)
        os.close(write_end)
        pipes.append(read_end)
        monkeypatch.setattr(interactive, "STDIN", read_end)

    yield type_keys
    for fd in pipes:
        os.close(fd)


def test_interview_end_of_input_pauses_and_resume_continues(
    here: Path, capsys: pytest.CaptureFixture[str], typed: Callable[[bytes], None]
) -> None:
    typed(b"First answer about caching\n\n")
    first = call(capsys, "interview", "--spec", write(here, "s.json", TWO_QUESTIONS))
    assert first.returncode == 0, first.stderr
    assert "paused" in first.stdout and "Interview report" not in first.stdout
    interview_id = resume_id(first.stdout)
    assert interview_state(here, interview_id) == ("paused", 1)
    assert_one_line_error(call(capsys, "report", interview_id), f"interview {interview_id} is paused", "--resume")

    typed(b"Second answer here\n\n")
    second = call(capsys, "interview", "--resume", interview_id)
    assert second.returncode == 0, second.stderr
    assert "First answer about caching" in second.stdout and "Second answer here" in second.stdout
    assert interview_state(here, interview_id) == ("finished", 2)


def test_interview_finish_early(here: Path, capsys: pytest.CaptureFixture[str],
                                typed: Callable[[bytes], None]) -> None:
    typed(b"Only one answer\n\n")
    interview_id = resume_id(call(capsys, "interview", "--spec", write(here, "s.json", TWO_QUESTIONS)).stdout)
    finished = call(capsys, "interview", "--resume", interview_id, "--finish")
    assert finished.returncode == 0, finished.stderr
    assert "Only one answer" in finished.stdout and "(not answered)" in finished.stdout
    assert interview_state(here, interview_id) == ("finished", 1)


# -- interview: in a real terminal -------------------------------------------------------------------------------

class Terminal:
    """The command on a pseudo-terminal that is its controlling terminal, as when a person runs it."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        master, slave = os.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "interview_engine", *args], cwd=tmp_path, env=subprocess_env(tmp_path),
            stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.master, self.output = master, b""

    def _read(self, timeout: float) -> bool:
        """Read what is there; False once the terminal is closed."""
        if not select.select([self.master], [], [], timeout)[0]:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            chunk = b""
        self.output += chunk
        return bool(chunk)

    def expect(self, needle: bytes, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            assert time.monotonic() < deadline and self._read(0.2), self.output.decode(errors="replace")

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self._read(0.2):
            assert time.monotonic() < deadline, self.output.decode(errors="replace")
        os.close(self.master)
        return self.proc.wait(timeout=timeout)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def open_terminal(*args: str) -> Terminal:
        opened.append(Terminal(tmp_path, *args))
        return opened[-1]

    yield open_terminal
    for term in opened:
        if term.proc.poll() is None:
            term.proc.send_signal(signal.SIGKILL)
            term.proc.wait()


def test_interview_in_a_terminal_shows_escapes_typed_by_the_candidate(
    tmp_path: Path, terminal: Callable[..., Terminal]
) -> None:
    one_question = {**TWO_QUESTIONS, "question_count": 1, "custom_questions": ["Why this team?"]}
    term = terminal("interview", "--spec", write(tmp_path, "s.json", one_question))
    term.expect(b"> ")
    term.type("I set \x1b]0;owned\x07 the title, \x1b[2J cleared, \x9b31m went red, \u202eflipped\n\n".encode())
    assert term.close() == 0
    report = term.output.split(b"Interview report")[1]
    assert b"\x1b" not in report and b"\x07" not in report
    assert "\x9b".encode() not in report and "\u202e".encode() not in report
    assert rb"\x1b]0;owned\x07 the title, \x1b[2J cleared, \x9b31m went red, \u202eflipped" in report


def test_interview_in_a_terminal_interrupted_stays_resumable(tmp_path: Path, terminal: Callable[..., Terminal]) -> None:
    term = terminal("interview", "--spec", write(tmp_path, "s.json", TWO_QUESTIONS))
    term.expect(b"> ")
    term.type(b"First answer about caching\n\n")
    term.expect(b"Why this team?\r\n> ")
    term.type(b"\x03")
    assert term.close(timeout=30) == 130  # before, the blocked input thread kept the process alive
    text = term.output.decode()
    assert "interrupted" in text and "Traceback" not in text
    assert interview_state(tmp_path, resume_id(text)) == ("in_progress", 1)
