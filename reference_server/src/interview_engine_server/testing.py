"""Running the server as a real process, for tests and benchmarks: ``interview-engine serve`` on a free
port of 127.0.0.1 with the given environment, waited for, and stopped (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from .bootstrap import TenantCredentials
from .cli import CREDENTIALS_FILE
from .settings import ServerSettings

FAST_TEST_ENVIRONMENT = {
    "INTERVIEW_ENGINE_PLUGINS": "",
    "INTERVIEW_ENGINE_PLUGIN_MODULES": "interview_engine.testing.plugin",
    "INTERVIEW_ENGINE_QUESTION_SOURCE": "fake",
    "INTERVIEW_ENGINE_EVALUATOR": "fake",
    "INTERVIEW_ENGINE_SERVER_PASSWORD_HASH_MEMORY_KIB": "8",
    "INTERVIEW_ENGINE_SERVER_PASSWORD_HASH_TIME_COST": "1",
    "INTERVIEW_ENGINE_SERVER_PASSWORD_HASH_PARALLELISM": "1",
    "INTERVIEW_ENGINE_SERVER_RATE_LIMIT_IP": "1000000/minute",
    "INTERVIEW_ENGINE_SERVER_RATE_LIMIT_API_KEY": "1000000/minute",
    "INTERVIEW_ENGINE_SERVER_RATE_LIMIT_CANDIDATE": "1000000/minute",
    "INTERVIEW_ENGINE_SERVER_RATE_LIMIT_RECRUITER": "1000000/minute",
    "INTERVIEW_ENGINE_SERVER_RATE_LIMIT_LOGIN": "1000000/minute",
}
"""Instant fake providers (``interview_engine.testing.plugin``), cheap password hashing and no limits a
test or a load generator would reach: for tests and benchmarks only."""


def fast_test_settings(**overrides: object) -> ServerSettings:
    """Server settings for an app run inside a test: ``FAST_TEST_ENVIRONMENT``'s server values with
    ``overrides`` (``secret_key`` and ``public_url`` at least)."""
    prefix = "INTERVIEW_ENGINE_SERVER_"
    values: dict[str, object] = {name.removeprefix(prefix).lower(): value
                                 for name, value in FAST_TEST_ENVIRONMENT.items() if name.startswith(prefix)}
    return ServerSettings(**(values | overrides))  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """``interview-engine serve`` in a child process. Use as a context manager. ``environment`` is added to
    this process's; a variable given as the empty string is removed."""

    workdir: Path
    environment: dict[str, str]
    port: int = field(default_factory=free_port)
    startup_timeout_s: float = 60.0
    arguments: tuple[str, ...] = ()
    """More ``serve`` options, e.g. ``("--no-access-log",)``."""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"server-{self.port}.log"

    def full_environment(self) -> dict[str, str]:
        """The server's whole environment (e.g. for a worker process of the same deployment)."""
        merged = {**os.environ, "INTERVIEW_ENGINE_SERVER_DATA_DIR": str(self.workdir / "data"), **self.environment}
        return {name: value for name, value in merged.items() if value != ""}  # an empty value unsets

    def start(self) -> Self:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = self.full_environment()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "interview_engine", "serve", "--port", str(self.port), *self.arguments],
            cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + self.startup_timeout_s
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start; its log:\n{self.log_path.read_text()[-4000:]}")
            time.sleep(0.1)
        return self

    def credentials(self) -> TenantCredentials:
        """The demo tenant's credentials from the first start (in this process's data directory)."""
        fields = {}
        for line in (self.workdir / "data" / CREDENTIALS_FILE).read_text().splitlines():
            key, _, value = line.strip().partition(":")
            fields[key.strip()] = value.strip()
        return TenantCredentials(fields["tenant"], fields["admin e-mail"], fields["admin password"],
                                 fields["API key"])

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/v1/health", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In the child: be sent SIGTERM when the process that started it dies (Linux), so a killed test run
    or benchmark leaves no server behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
