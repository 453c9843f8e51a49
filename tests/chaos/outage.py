"""Controlled database outages, without touching the shared server.

* PostgreSQL: :class:`TcpProxy` listens on loopback and forwards to the server; ``down()`` resets every
  open connection and resets each new one at once (the bot sees what a server crash or a network
  partition looks like), ``up()`` forwards again. The database URL handed to the bot points at the proxy.
* SQLite: :class:`SqliteLock` holds an exclusive lock on the database file from another connection,
  so every writer waits ``busy_timeout`` and then fails with "database is locked" — the file-database
  version of "down". Readers in WAL mode go on reading, as they would.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy.engine import make_url

from bot.db import session as db_session


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.is_up = True
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._pumps: set[asyncio.Task[None]] = set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def url(self, database_url: str) -> str:
        """``database_url`` with host and port replaced by the proxy's."""
        return (
            make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)
        )

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.is_up:
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)
            return
        pair = (writer, up_writer)
        self._pairs.add(pair)
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(src, dst, pair))
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(
        self,
        src: asyncio.StreamReader,
        dst: asyncio.StreamWriter,
        pair: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
    ) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            self._pairs.discard(pair)
            for writer in pair:
                _reset(writer)

    def down(self) -> None:
        """Reset every open connection and refuse (reset) new ones."""
        self.is_up = False
        for pair in list(self._pairs):
            for writer in pair:
                _reset(writer)
        self._pairs.clear()

    def up(self) -> None:
        self.is_up = True

    async def ready(self) -> None:
        """Down takes effect at once."""

    async def close(self) -> None:
        self.down()
        for task in list(self._pumps):
            task.cancel()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)


def _reset(writer: asyncio.StreamWriter) -> None:
    transport = writer.transport
    with contextlib.suppress(Exception):
        transport.abort()


@contextlib.asynccontextmanager
async def proxied(database_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    url = make_url(database_url)
    proxy = await TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    try:
        yield proxy, proxy.url(database_url)
    finally:
        await proxy.close()


class SqliteLock:
    """Hold ``BEGIN EXCLUSIVE`` on a SQLite file from a helper thread until :meth:`release`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._release = threading.Event()
        self._taken = threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        # a tight retry of our own: SQLite's busy handler sleeps ever longer between tries and can
        # keep missing the short gaps between a busy bot's transactions
        conn = sqlite3.connect(self.path, timeout=0.001, isolation_level=None)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    conn.execute("BEGIN EXCLUSIVE")
                    break
                except sqlite3.OperationalError:
                    if time.monotonic() > deadline:
                        return
                    time.sleep(0.0005)
            self._taken.set()
            self._release.wait()
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    def start(self) -> None:
        """Begin taking the lock without waiting: the event loop must go on (a bot transaction in
        flight has to finish before the lock can be had)."""
        self._thread.start()

    async def taken(self) -> None:
        if not await asyncio.to_thread(self._taken.wait, 60):
            raise RuntimeError("could not lock the SQLite database")

    def release(self) -> None:
        self._release.set()
        self._thread.join(10)


class Outage(Protocol):
    def down(self) -> None: ...
    async def ready(self) -> None: ...
    def up(self) -> None: ...


class _SqliteOutage:
    def __init__(self, url: str) -> None:
        self.url = url
        self._lock: SqliteLock | None = None

    def down(self) -> None:
        self._lock = SqliteLock(Path(make_url(self.url).database or ""))
        self._lock.start()

    async def ready(self) -> None:
        if self._lock is not None:
            await self._lock.taken()

    def up(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


@contextlib.asynccontextmanager
async def outage_for(
    db_backend: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Outage, str]]:
    if db_backend == "sqlite":
        monkeypatch.setattr(db_session, "SQLITE_BUSY_TIMEOUT_MS", 500)
        sqlite = _SqliteOutage(url)
        try:
            yield sqlite, url
        finally:
            sqlite.up()
        return
    proxy: TcpProxy
    async with proxied(url) as (proxy, proxied_url):
        yield proxy, proxied_url
