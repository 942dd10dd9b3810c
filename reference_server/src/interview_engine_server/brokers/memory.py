"""The in-process broker: a notice goes straight to the one listener in this process."""

from __future__ import annotations

from . import NoticeHandler, ReconnectHandler


class InProcessBroker:
    """For a single process (SQLite, the embedded default): nothing crosses a process boundary."""

    def __init__(self) -> None:
        self._on_notice: NoticeHandler | None = None

    async def start(self, on_notice: NoticeHandler, on_reconnect: ReconnectHandler) -> None:
        self._on_notice = on_notice

    async def publish(self, interview_id: str, seq: int) -> None:
        if self._on_notice is not None:
            self._on_notice(interview_id, seq)

    async def aclose(self) -> None:
        self._on_notice = None
