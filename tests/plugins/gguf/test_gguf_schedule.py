"""The order in which one model serves requests: interactive first, then arrival; stop after the queue."""

from __future__ import annotations

from interview_engine_gguf.schedule import BACKGROUND, INTERACTIVE, PriorityJobs


def test_interactive_jobs_go_before_background_ones_and_arrival_order_holds_within_each() -> None:
    jobs: PriorityJobs[str] = PriorityJobs()
    jobs.put("evaluation 1", BACKGROUND)
    jobs.put("evaluation 2", BACKGROUND)
    jobs.put("question 1", INTERACTIVE)
    jobs.stop()
    jobs.put("question 2", INTERACTIVE)
    assert [jobs.get() for _ in range(5)] == ["question 1", "question 2", "evaluation 1", "evaluation 2", None]


def test_a_running_background_job_finds_only_more_urgent_work() -> None:
    jobs: PriorityJobs[str] = PriorityJobs()
    jobs.put("evaluation", BACKGROUND)
    assert jobs.take_urgent(than=BACKGROUND) is None
    jobs.put("follow-up", INTERACTIVE)
    assert jobs.take_urgent(than=BACKGROUND) == "follow-up"
    assert jobs.take_urgent(than=INTERACTIVE) is None
    assert jobs.get() == "evaluation"
