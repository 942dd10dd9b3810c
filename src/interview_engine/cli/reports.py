"""Waiting for a finished interview's report and printing it, shared by ``run``, ``interview`` and ``report``."""

from __future__ import annotations

from ..models import Report
from ..session import Session
from .failures import CommandError
from .render import report_text
from .terminal import emit, json_for_terminal


async def settled_report(session: Session, timeout: float) -> Report:
    """The report of a finished interview, once its evaluations settle; a CommandError that says how to get
    it later if they take longer than ``timeout`` seconds."""
    try:
        return await session.report(timeout=timeout)
    except TimeoutError as exc:
        raise CommandError(
            f"evaluations did not settle within {timeout:g} s; interview {session.id} is finished and nothing "
            f"is lost: see its report later with: interview-engine report {session.id}"
        ) from exc


def print_report(report: Report, *, as_json: bool) -> None:
    emit(json_for_terminal(report.model_dump_json(indent=2)) if as_json else report_text(report))
