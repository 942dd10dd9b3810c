"""Fixtures for the deepface plugin: a DEEPFACE_HOME holding DeepFace's emotion model with random
weights, so the real code path runs offline, and the analyzer on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from interview_engine_deepface.analyzer import DeepFaceAnalyzer
from interview_engine_deepface.testing import install_random_emotion_model


@pytest.fixture(scope="session")
def deepface_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("deepface_home")
    install_random_emotion_model(home)
    return home


@pytest.fixture(scope="module")
def deepface_analyzer(deepface_home: Path) -> Iterator[DeepFaceAnalyzer]:
    analyzer = DeepFaceAnalyzer(home=str(deepface_home))
    yield analyzer
    anyio.run(analyzer.aclose)
