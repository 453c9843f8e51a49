"""Is the sender that leased these rows still alive? — a lock that dies with its process.

A lease alone makes a crashed sender's rows wait ``DELIVERY__LEASE_SECONDS`` before anyone sends them.
Each sender therefore holds a *liveness lock* for its whole life, named after its lease owner id:

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock(namespace, crc32(owner))``) on a
  dedicated autocommit connection. The server drops it the moment that connection ends — the kernel
  closes the socket of a process killed with SIGKILL, and the backend sees end-of-file at once.
* SQLite (a file): ``flock`` on ``<database>.senders/<owner>.lock``; the kernel releases it when the
  process dies. An in-memory database has one process by definition: nothing to probe.

:meth:`Liveness.is_alive` probes another owner's lock: if *we* can take it, nobody holds it, so that
owner is dead and its leases can be taken over immediately (see
:meth:`bot.delivery.sender.Sender.recover_dead_leases`). Errors of judgement only go the safe way: a
hash collision or an unreadable lock file makes a dead owner look alive (its rows wait for lease expiry),
never the reverse — a live owner always holds its own lock, and owners' ids are random, so a new
process never inherits a dead one's name.

If the liveness connection itself is lost (database restart, network partition), other senders may
conclude we are dead; :meth:`Liveness.check` reports that, and the sender then stops sending its
in-memory work and starts over under a new owner id.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import zlib
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db.session import is_sqlite_memory

NAMESPACE = 0x41616A  # "Aaj": the first key of the two-int advisory lock, to stay clear of other users


def owner_key(owner: str) -> int:
    """The advisory lock's second key: crc32 of the owner id as a signed 32-bit int."""
    value = zlib.crc32(owner.encode("utf-8"))
    return value - (1 << 32) if value >= 1 << 31 else value


class Liveness:
    """Hold our own lock; probe other owners' locks."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        url = engine.url
        self._dialect = url.get_backend_name()
        self._dir: Path | None = None
        if self._dialect == "sqlite" and not is_sqlite_memory(make_url(str(url))) and url.database:
            database = Path(url.database)
            self._dir = database.with_name(database.name + ".senders")
        self._conn: AsyncConnection | None = None
        self._file: IO[bytes] | None = None
        self._busy = asyncio.Lock()  # one statement at a time on the liveness connection
        self.owner: str | None = None

    async def acquire(self, owner: str) -> bool:
        """Take ``owner``'s lock; ``False`` if another live process holds it (pick another id)."""
        await self.release()
        if self._dialect == "postgresql":
            conn = await self._engine.connect()
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:ns, :key)"), _key(owner))
            if not got:
                await conn.close()
                return False
            self._conn = conn
        elif self._dir is not None:
            self._dir.mkdir(parents=True, exist_ok=True)
            handle = (self._dir / f"{owner}.lock").open("ab")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._file = handle
        self.owner = owner
        return True

    async def is_alive(self, owner: str) -> bool:
        """``False`` only when ``owner`` certainly holds no lock (its process is gone)."""
        if owner == self.owner:
            return True
        if self._dialect == "postgresql":
            if self._conn is None:
                return True
            try:
                async with self._busy:
                    got = await self._conn.scalar(text("SELECT pg_try_advisory_lock(:ns, :key)"), _key(owner))
                    if got:
                        await self._conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), _key(owner))
            except Exception:
                return True
            return not got
        if self._dir is None:
            return True
        path = self._dir / f"{owner}.lock"
        try:
            handle = path.open("ab")
        except OSError:
            return True
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            with contextlib.suppress(OSError):
                path.unlink()  # the owner is gone for good; its name never comes back
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False

    async def check(self) -> bool:
        """Do we still hold our lock? (PostgreSQL: is the liveness connection still up?)"""
        if self._dialect != "postgresql":
            return True
        if self._conn is None:
            return False
        try:
            async with self._busy:
                await self._conn.scalar(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def release(self) -> None:
        if self._conn is not None and self.owner is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), _key(self.owner))
            with contextlib.suppress(Exception):
                await conn.invalidate()  # never hand a connection that held the lock back to the pool
            with contextlib.suppress(Exception):
                await conn.close()
        if self._file is not None:
            handle, self._file = self._file, None
            with contextlib.suppress(OSError):
                os.unlink(handle.name)
            handle.close()
        self.owner = None


def _key(owner: str) -> dict[str, int]:
    return {"ns": NAMESPACE, "key": owner_key(owner)}
