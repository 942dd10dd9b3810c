"""Test support: scriptable fake providers and the conformance suite plugin tests subclass.

The conformance suite needs pytest and anyio's pytest plugin (install ``interview-engine[test]``).
"""

from .drive import sit_interview
from .fakes import FakeEmotionAnalyzer, FakeEvaluator, FakeQuestionSource, FakeTranscriber, reading

__all__ = ["FakeEmotionAnalyzer", "FakeEvaluator", "FakeQuestionSource", "FakeTranscriber", "reading",
           "sit_interview"]
