"""Settings: which provider fills each role, where data lives, how jobs run.

Precedence, highest first: keyword arguments, ``INTERVIEW_ENGINE_*`` environment variables, a TOML
file (``--config``, ``INTERVIEW_ENGINE_CONFIG`` or ``./interview-engine.toml``), defaults. Provider
options are JSON objects in the environment, e.g.
``INTERVIEW_ENGINE_EVALUATOR_OPTIONS='{"model_path": "/models/solar.gguf"}'``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigurationError, validation_message
from .identifiers import TenantId

CONFIG_ENV = "INTERVIEW_ENGINE_CONFIG"
AUTO = "auto"
EMBEDDED_DEFAULTS: dict[str, tuple[str, ...]] = {
    "transcriber": ("faster_whisper", "pocketsphinx"),
    "emotion_analyzer": ("fer_lite",),
}
"""What "auto" means for each family: the first of these offline providers that is installed."""
DEFAULT_CONFIG_FILE = "interview-engine.toml"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///interview-engine.db"


class Settings(BaseSettings):
    """Engine settings. Provider names refer to what plugins register (`interview-engine plugins`)."""

    model_config = SettingsConfigDict(env_prefix="INTERVIEW_ENGINE_", extra="forbid", frozen=True)

    question_source: str = "bank"
    question_source_options: dict[str, Any] = Field(default_factory=dict)
    evaluator: str | None = None
    """None: answers are recorded but not scored, and reports say so."""
    evaluator_options: dict[str, Any] = Field(default_factory=dict)
    transcriber: str | None = AUTO
    """Speech to text; "auto" is the embedded default (faster_whisper, else pocketsphinx) when installed,
    None disables."""
    transcriber_options: dict[str, Any] = Field(default_factory=dict)
    emotion_analyzer: str | None = AUTO
    """For interviews that opt in; "auto" is the embedded default (fer_lite) when installed, None disables."""
    emotion_analyzer_options: dict[str, Any] = Field(default_factory=dict)
    store: str = "sql"
    database_url: str = DEFAULT_DATABASE_URL
    store_options: dict[str, Any] = Field(default_factory=dict)
    jobs: Literal["inprocess", "arq"] = "inprocess"
    redis_url: str = "redis://127.0.0.1:6379/0"
    job_concurrency: int = Field(default=2, ge=1, le=64)
    job_max_attempts: int = Field(default=8, ge=1, le=100)
    """Runs of a failing job (a database outage) before it gives up and records its evaluation as failed."""
    job_retry_base_s: float = Field(default=5.0, gt=0)
    """Wait before a failed job's second run; it doubles with each run, up to job_retry_max_s. Each wait is
    drawn between half and all of that (jitter). The defaults keep retrying for 5 to 10 minutes."""
    job_retry_max_s: float = Field(default=300.0, gt=0)
    job_sweep_interval_s: float = Field(default=30.0, gt=0)
    """How often a running engine reads the outbox for queued jobs no runner holds (stored by another
    process, or not delivered while Redis was down)."""
    job_shutdown_grace_s: float = Field(default=10.0, ge=0)
    """On shutdown, how long running in-process jobs may finish before they are cancelled (and resumed
    by the next start)."""
    evaluation_timeout_s: float = Field(default=600.0, gt=0)
    first_question_budget_s: float = Field(default=1.0, ge=0)
    """How long ``Engine.start`` waits for the question source's plan. The opener is the model's first
    question when it came in time, else the first custom question, else one from the built-in bank; the
    rest of the plan is generated in the background."""
    plan_wait_s: float = Field(default=1.5, ge=0)
    """How long after an answer is stored it may wait for the next planned question when the candidate got
    there before the background plan did (the wait overlaps the follow-up decision's); then the question
    comes from the custom questions or the built-in bank."""
    follow_up_budget_s: float = Field(default=1.5, gt=0)
    """How long the follow-up decision for an answer may take, from the moment the answer is stored. A
    decision not made in time is dropped (the store refuses it late too) and the interview moves on."""
    tenant: TenantId = "default"
    """The tenant of ``Engine.start``/``resume``/``list_interviews``/``delete_interview`` calls given none."""
    plugins: str | None = None
    """Allow-list of entry-point plugins to load, comma-separated (INTERVIEW_ENGINE_PLUGINS)."""
    plugin_modules: str = ""
    """Extra plugin modules to load by import path, comma-separated (INTERVIEW_ENGINE_PLUGIN_MODULES)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
        if settings_cls.model_config.get("toml_file"):
            sources += (TomlConfigSettingsSource(settings_cls),)
        return sources


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from overrides, the environment and a TOML file; a bad value is a ConfigurationError."""
    path = config_file or os.environ.get(CONFIG_ENV)
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = DEFAULT_CONFIG_FILE
    settings_cls: type[Settings] = Settings
    if path is not None:
        if not Path(path).is_file():
            raise ConfigurationError(f"config file {str(path)!r} does not exist")
        settings_cls = type(
            "FileSettings", (Settings,), {"model_config": {**Settings.model_config, "toml_file": path}}
        )
    try:
        return settings_cls(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(f"invalid settings: {validation_message(exc)}") from exc
    except ValueError as exc:  # a TOML syntax error or a non-JSON *_OPTIONS variable
        raise ConfigurationError(f"invalid settings: {exc}") from exc
