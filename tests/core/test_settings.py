"""Settings precedence: keyword arguments over environment over TOML file over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from interview_engine import ConfigurationError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("INTERVIEW_ENGINE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_the_embedded_ones() -> None:
    s = load_settings()
    assert (s.question_source, s.evaluator, s.store, s.jobs) == ("bank", None, "sql", "inprocess")
    assert s.database_url.startswith("sqlite+aiosqlite://")


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "interview-engine.toml").write_text(
        'evaluator = "from-file"\ntranscriber = "from-file"\njob_concurrency = 7\n'
        '[evaluator_options]\nmodel = "solar"\n')
    monkeypatch.setenv("INTERVIEW_ENGINE_TRANSCRIBER", "from-env")
    monkeypatch.setenv("INTERVIEW_ENGINE_EMOTION_ANALYZER_OPTIONS", '{"workers": 2}')
    s = load_settings(job_concurrency=3)
    assert s.evaluator == "from-file" and s.evaluator_options == {"model": "solar"}
    assert s.transcriber == "from-env" and s.emotion_analyzer_options == {"workers": 2}
    assert s.job_concurrency == 3


def test_explicit_config_file_via_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "other.toml"
    path.write_text('tenant = "acme"\n')
    monkeypatch.setenv("INTERVIEW_ENGINE_CONFIG", str(path))
    assert load_settings().tenant == "acme"


@pytest.mark.parametrize("content, message", [
    ("evaluator = \n", "invalid settings"),
    ('unknown_key = 1\n', "unknown_key"),
    ('jobs = "celery"\n', "jobs"),
])
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=message):
        load_settings(path)


def test_job_retries_outlive_a_database_restart_and_can_be_shortened(monkeypatch: pytest.MonkeyPatch) -> None:
    from interview_engine.jobs import RetryPolicy

    s = load_settings()
    shortest, longest = RetryPolicy.from_settings(s).span_s()
    assert shortest >= 5 * 60 and longest <= 30 * 60  # minutes of backoff, with jitter between the bounds
    assert s.job_sweep_interval_s > 0
    monkeypatch.setenv("INTERVIEW_ENGINE_JOB_RETRY_BASE_S", "0.01")
    monkeypatch.setenv("INTERVIEW_ENGINE_JOB_SWEEP_INTERVAL_S", "0.5")
    s = load_settings(job_retry_max_s=0.02, job_max_attempts=4)
    policy = RetryPolicy.from_settings(s)
    assert (policy.base_delay_s, policy.max_delay_s, policy.max_attempts) == (0.01, 0.02, 4)
    assert policy.span_s()[1] <= 0.06 and s.job_sweep_interval_s == 0.5
