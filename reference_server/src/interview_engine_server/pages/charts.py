"""Geometry for the report's inline SVG charts (the templates draw them): a bar per score with the
human override beside the model's score, and timelines that place moments along the interview."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LABEL_WIDTH = 190
BAR_SPAN = 400
"""Pixels for a score of 100."""
ROW_HEIGHT = 34
BAR_HEIGHT = 18
TIMELINE_WIDTH = 640
TIMELINE_MARGIN = 16


@dataclass(frozen=True)
class BarRow:
    label: str
    model_score: float | None
    human_score: float | None
    y: int

    @property
    def model_width(self) -> float:
        return 0.0 if self.model_score is None else self.model_score * BAR_SPAN / 100

    @property
    def human_x(self) -> float | None:
        return None if self.human_score is None else LABEL_WIDTH + self.human_score * BAR_SPAN / 100


@dataclass(frozen=True)
class BarChart:
    rows: list[BarRow]
    label_width: int = LABEL_WIDTH
    bar_span: int = BAR_SPAN
    bar_height: int = BAR_HEIGHT

    @property
    def width(self) -> int:
        return LABEL_WIDTH + BAR_SPAN + 70

    @property
    def height(self) -> int:
        return ROW_HEIGHT * len(self.rows) + 8

    @property
    def ticks(self) -> list[tuple[int, float]]:
        return [(score, LABEL_WIDTH + score * BAR_SPAN / 100) for score in (0, 25, 50, 75, 100)]


def bar_chart(rows: Sequence[tuple[str, float | None, float | None]]) -> BarChart:
    """A chart of (label, model score, human score) rows, scores 0–100."""
    return BarChart([BarRow(label, model, human, 4 + i * ROW_HEIGHT) for i, (label, model, human) in enumerate(rows)])


@dataclass(frozen=True)
class Mark:
    x: float
    t: float
    kind: str


@dataclass(frozen=True)
class Timeline:
    marks: list[Mark]
    duration: float
    width: int = TIMELINE_WIDTH

    @property
    def ticks(self) -> list[tuple[int, float]]:
        step = max(1, round(self.duration / 5))
        return [(s, _x(s, self.duration)) for s in range(0, int(self.duration) + 1, step)]


def timeline(moments: Sequence[tuple[float, str]], duration: float) -> Timeline:
    """(seconds, kind) moments placed on a time axis ``duration`` seconds long (at least one second)."""
    duration = max(duration, 1.0, *(t for t, _ in moments))
    return Timeline([Mark(_x(t, duration), t, kind) for t, kind in moments], duration)


def _x(t: float, duration: float) -> float:
    return TIMELINE_MARGIN + t / duration * (TIMELINE_WIDTH - 2 * TIMELINE_MARGIN)
