"""Fault injection for tests against real services: a TCP proxy that can be cut and restored.

    async with TcpProxy("127.0.0.1", 5432) as proxy:     # point the store at proxy.port
        ...
        await proxy.cut()        # open connections are dropped, new ones refused: a server outage
        await proxy.restore()    # listening again on the same port
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Self

import anyio
from anyio.abc import ByteStream, SocketAttribute, SocketStream, TaskGroup

log = logging.getLogger(__name__)

CHUNK = 65536


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target_host:target_port`` until cut.

    ``cut()`` closes the listening socket and every forwarded connection, so clients see their
    connections drop and new connections refused, as when the server is stopped. ``restore()`` listens
    again on the same port. Use it as an async context manager inside the test's event loop.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        self._tg: TaskGroup | None = None
        self._serving: anyio.CancelScope | None = None
        self._stopped = anyio.Event()

    @property
    def is_cut(self) -> bool:
        return self._serving is None

    async def __aenter__(self) -> Self:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        await self.restore()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._tg is not None
        await self.cut()
        self._tg.cancel_scope.cancel()
        await self._tg.__aexit__(exc_type, exc, tb)

    async def restore(self) -> None:
        """Listen again (on the same port after the first time); a no-op while serving."""
        if self._tg is None:
            raise RuntimeError("use the proxy as `async with TcpProxy(...)`")
        if self._serving is not None:
            return
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=self.port)
        self.port = listener.extra(SocketAttribute.local_port)
        self._serving, self._stopped = anyio.CancelScope(), anyio.Event()
        self._tg.start_soon(self._serve, listener, self._serving, self._stopped)

    async def cut(self) -> None:
        """Drop every connection and stop listening; returns once the port refuses connections."""
        if self._serving is None:
            return
        serving, self._serving = self._serving, None
        serving.cancel()
        await self._stopped.wait()

    async def _serve(self, listener: anyio.abc.Listener[SocketStream], scope: anyio.CancelScope,
                     stopped: anyio.Event) -> None:
        try:
            with scope:
                async with listener, anyio.create_task_group() as tg:
                    await listener.serve(self._forward, task_group=tg)
        finally:
            stopped.set()

    async def _forward(self, client: SocketStream) -> None:
        async with client:
            try:
                upstream = await anyio.connect_tcp(self.target_host, self.target_port)
            except OSError as exc:
                log.warning("proxy cannot reach %s:%d: %s", self.target_host, self.target_port, exc)
                return
            async with upstream, anyio.create_task_group() as tg:
                tg.start_soon(_pump, client, upstream, tg.cancel_scope)
                tg.start_soon(_pump, upstream, client, tg.cancel_scope)


async def _pump(source: ByteStream, sink: ByteStream, done: anyio.CancelScope) -> None:
    """Copy bytes one way; when either side closes, end both directions."""
    try:
        while True:
            await sink.send(await source.receive(CHUNK))
    except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        pass
    finally:
        done.cancel()
