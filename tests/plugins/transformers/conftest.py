"""Fixtures for the transformers plugin: a tiny random-weight Llama saved to disk once per session,
loaded through the same code path as a real model, and providers built through the entry point."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from interview_engine.plugins import ProviderRegistry, build_plugin_manager

OpenProvider = Callable[..., AbstractContextManager[Any]]


def worker_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("ie-transformers")}


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from interview_engine_transformers.testing import build_random_llama

    return build_random_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def registry() -> ProviderRegistry:
    """Providers as the engine finds them: through the plugin's entry point."""
    return ProviderRegistry(build_plugin_manager(["transformers"], from_env=False))


@pytest.fixture(scope="session")
def open_provider(registry: ProviderRegistry, tiny_llama: Path) -> OpenProvider:
    """``with open_provider(family, **options) as provider``: a provider on the tiny model (one CPU
    thread), closed on exit, leaving no worker thread behind."""

    @contextmanager
    def opened(family: str, **options: Any) -> Iterator[Any]:
        before = worker_threads()
        provider = registry.create(family, "transformers", {"model": str(tiny_llama), "threads": 1, **options})
        try:
            yield provider
        finally:
            asyncio.run(provider.aclose())
            assert worker_threads() <= before

    return opened
