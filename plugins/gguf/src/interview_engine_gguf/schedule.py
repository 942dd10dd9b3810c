"""The order in which one model serves its requests: interactive work (a question, a follow-up) before
background work (an evaluation), first come first served within a priority.

A thread-safe queue the model's worker thread takes from; ``take_urgent`` lets a running background
request hand the model over, between two tokens, to interactive work that arrived meanwhile.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from typing import Generic, TypeVar

INTERACTIVE = 0
"""A candidate may be waiting for it: the next question, a follow-up decision."""
BACKGROUND = 1
"""Nobody is waiting on it right now: an answer's evaluation."""
_STOP = 2

T = TypeVar("T")


class PriorityJobs(Generic[T]):
    """Jobs by priority (lower first), then arrival. ``stop`` ends ``get`` after the jobs queued before it."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, T | None]] = []
        self._arrivals = itertools.count()
        self._ready = threading.Condition()

    def put(self, job: T, priority: int) -> None:
        with self._ready:
            heapq.heappush(self._heap, (priority, next(self._arrivals), job))
            self._ready.notify()

    def stop(self) -> None:
        """Queue the end: ``get`` returns None once every job queued so far is taken."""
        with self._ready:
            heapq.heappush(self._heap, (_STOP, next(self._arrivals), None))
            self._ready.notify()

    def get(self) -> T | None:
        """The next job, waiting for one; None after ``stop``."""
        with self._ready:
            while not self._heap:
                self._ready.wait()
            return heapq.heappop(self._heap)[2]

    def take_urgent(self, than: int) -> T | None:
        """The first job queued with a priority more urgent than ``than``, if any (never waits)."""
        with self._ready:
            if self._heap and self._heap[0][0] < than:
                return heapq.heappop(self._heap)[2]
            return None
