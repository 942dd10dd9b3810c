"""Interim transcripts are published newest only, one at a time: those that arrive while one is being
written replace each other, a final drops the waiting one but comes after the one being written, and a
failed write does not stop the next."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from interview_engine_server.media.interims import InterimPublisher

pytestmark = pytest.mark.anyio


class SlowLog:
    """Records what is published; each write waits until the test lets it through."""

    def __init__(self, fail: set[int] | None = None) -> None:
        self.written: list[int] = []
        self.gate = asyncio.Event()
        self.fail = fail or set()

    async def publish(self, data: dict[str, Any]) -> None:
        await self.gate.wait()
        if data["n"] in self.fail:
            raise RuntimeError("the database is away")
        self.written.append(data["n"])



async def test_interims_that_arrive_during_a_write_replace_each_other() -> None:
    log = SlowLog()
    publisher = InterimPublisher(log.publish)
    for n in range(10):
        publisher.offer({"n": n})
        await asyncio.sleep(0)
    log.gate.set()
    while publisher._writing is not None and not publisher._writing.done():
        await asyncio.sleep(0.01)
    assert log.written == [0, 9] and (publisher.published, publisher.replaced) == (2, 8)


async def test_a_final_drops_the_waiting_interim_and_waits_for_the_one_being_written() -> None:
    log = SlowLog()
    publisher = InterimPublisher(log.publish)
    publisher.offer({"n": 1})
    await asyncio.sleep(0)
    publisher.offer({"n": 2})
    settling = asyncio.create_task(publisher.settle())
    await asyncio.sleep(0.05)
    assert not settling.done()  # interim 1 is still being written: the final must come after it
    log.gate.set()
    await settling
    assert log.written == [1] and publisher.replaced == 1
    await publisher.aclose()


async def test_a_failed_write_does_not_stop_the_next_and_close_stops_all() -> None:
    log = SlowLog(fail={1})
    log.gate.set()
    publisher = InterimPublisher(log.publish)
    publisher.offer({"n": 1})
    await asyncio.sleep(0)  # its write starts (one not started yet would be dropped by the final)
    await publisher.settle()
    publisher.offer({"n": 2})
    await asyncio.sleep(0)
    await publisher.settle()
    assert log.written == [2] and publisher.published == 1
    log.gate.clear()
    publisher.offer({"n": 3})
    await publisher.aclose()
    log.gate.set()
    await asyncio.sleep(0.05)
    assert log.written == [2]
