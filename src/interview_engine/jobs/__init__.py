"""Background jobs: the Jobs protocol, an in-process runner (default) and an arq runner (Redis)."""

from .base import JobHandler, Jobs, evaluation_job
from .inprocess import InProcessJobs
from .retry import RetryPolicy, attempt_job

__all__ = ["InProcessJobs", "JobHandler", "Jobs", "RetryPolicy", "attempt_job", "evaluation_job"]
