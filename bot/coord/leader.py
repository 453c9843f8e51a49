"""Leadership and membership among several ``aajel run`` instances, with PostgreSQL as the only coordinator.

Design
------
* **Leader** = the instance holding a session-level advisory lock ``(LEADER_NS, key)`` on a dedicated
  autocommit connection, where ``key`` is derived from the bot's id (the token's numeric prefix) and the
  database schema, so two bots — or two test schemas — on one server never compete. Standbys try
  ``pg_try_advisory_lock`` every :data:`CAMPAIGN_SECONDS`; they never block inside the server, so a
  standby can always stop at once. The lock dies with its connection: a clean shutdown unlocks and
  closes it (a standby takes over within one campaign interval, < 2 s); a SIGKILLed process's socket is
  closed by the kernel, the server ends the backend and frees the lock at once; the standby starts
  leading :data:`TAKEOVER_GRACE_SECONDS` later (≈ 1.3 s; < 10 s promised, measured by ``bench/ha``). A machine that vanishes without closing its sockets is noticed by the server's TCP
  keepalive (``tcp_keepalives_idle/interval/count``; see ``docs/deploy.md``).
* **What only the leader does** — everything that must happen once per bot: long-polling
  ``getUpdates`` (Telegram allows one poller per token: two give 409 Conflict), the one active
  :class:`~bot.delivery.sender.Sender`, digests, ops checks, resuming progress panels, command menus.
  The caller passes these as ``lead(resign)``: a coroutine that starts them and returns once ``resign`` is
  set, after stopping them.
* **Why one active sender with hot standbys, not a shared budget**: Telegram's limits are per bot *and*
  per chat (≈1 msg/s per chat, 20/min per group). A shared global budget would still leave every
  instance pacing each chat on its own (two instances could send a chat two messages in one second), and
  splitting the global rate needs a round trip to the database per message or a lease on a slice of the
  rate that is lost while an instance is slow. One sender sees every chat's pace and the whole rate in
  memory; it drains ~3,000 msg/s on one core (``bench/fanout`` (b)), a hundred times Telegram's free rate
  and three times the paid-broadcast rate, so a single sender is never the bottleneck. The outbox's row
  leases make a takeover exactly-once apart from the documented in-flight bound.
* **Leadership lost while alive** (the lock connection broke: database restart, network partition):
  checked every :data:`CHECK_SECONDS`; the leader resigns — its duties stop — and campaigns again. The
  outbox leases and the sender's own liveness lock keep deliveries exactly-once in between.
* **Membership**: each instance also holds a *shared* advisory lock ``(MEMBER_NS, key)``; the count of
  holders in ``pg_locks`` is the number of live instances (used to leave the webhook set while another
  instance still serves it, and reported in the logs).

SQLite is one machine, one instance: :func:`single_instance_guard` takes an exclusive ``flock`` on
``<database>.instance.lock`` and a second instance on the same file refuses to start with one clear
line. With SQLite the only instance is always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import zlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db.session import is_sqlite_memory
from bot.exceptions import ConfigError

log = logging.getLogger(__name__)

LEADER_NS = 0x41616B  # first key of the two-int advisory locks ("Aak"); bot.delivery.liveness uses 0x41616A
MEMBER_NS = 0x41616C
CLAIM_NS = 0x41616D  # transaction-level lock serialising source claims (bot.coord.sources)

CAMPAIGN_SECONDS = 0.25
"""How often a standby tries the leader lock."""

CHECK_SECONDS = 0.5
"""How often the leader checks that its lock connection is still up (a closed socket is noticed at
once through the driver's termination callback; this catches a connection that hangs)."""

TAKEOVER_GRACE_SECONDS = 1.0
"""A new leader waits this long after taking the lock before it starts its duties. The lock can be
free while the old leader still runs — its connection was cut (database restart, partition) and it has
not noticed yet; it notices within :data:`CHECK_SECONDS` and stops. Waiting longer than that means
two leaders never act at once. Takeover after a clean stop: ≤ CAMPAIGN + GRACE ≈ 1.3 s."""

Lead = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def bot_id(token: str | None) -> str:
    """The bot's numeric id from its token (``123456:ABC…`` → ``123456``); never the secret part."""
    if not token:
        return "no-token"
    return token.split(":", 1)[0]


def lock_key(*parts: str) -> int:
    """A signed 32-bit advisory-lock key for ``parts`` (crc32)."""
    value = zlib.crc32("\x1f".join(parts).encode("utf-8"))
    return value - (1 << 32) if value >= 1 << 31 else value


def webhook_secret(token: str) -> str:
    """The webhook secret when none is configured: the same on every instance of one bot (Telegram
    sends one secret; a random one per instance would make every other instance refuse updates)."""
    return hashlib.sha256(b"aajel-webhook\x00" + token.encode("utf-8")).hexdigest()[:48]


class Leadership:
    """Campaign for the leader lock; run ``lead`` while holding it."""

    def __init__(self, engine: AsyncEngine, *, bot: str, name: str = "instance") -> None:
        self._engine = engine
        self._bot = bot
        self.name = name
        self._postgres = engine.url.get_backend_name() == "postgresql"
        self._conn: AsyncConnection | None = None
        self._member: AsyncConnection | None = None
        self._keys: tuple[int, int] | None = None
        self._lost = asyncio.Event()
        self.is_leader = False
        self.elected = asyncio.Event()
        self.decided = asyncio.Event()
        """Set after the first campaign: this instance leads (its duties have started) or stands by."""
        self.terms = 0

    @property
    def postgres(self) -> bool:
        return self._postgres

    async def _key_pair(self, conn: AsyncConnection) -> tuple[int, int]:
        if self._keys is None:
            schema = str(await conn.scalar(text("SELECT current_schema()")) or "public")
            self._keys = (lock_key("leader", self._bot, schema), lock_key("member", self._bot, schema))
        return self._keys

    async def join(self) -> None:
        """Become a member (shared lock); PostgreSQL only, a no-op elsewhere."""
        if not self._postgres or self._member is not None:
            return
        conn = await self._engine.connect()
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        _, member = await self._key_pair(conn)
        await conn.execute(
            text("SELECT pg_advisory_lock_shared(:ns, :key)"), {"ns": MEMBER_NS, "key": member}
        )
        self._member = conn

    async def members(self) -> int:
        """How many instances of this bot are alive on this database (1 on SQLite)."""
        if not self._postgres or self._member is None:
            return 1
        _, member = await self._key_pair(self._member)
        count = await self._member.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = CAST(:ns AS oid) AND objid = CAST(:key AS oid) AND objsubid = 2"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"ns": MEMBER_NS, "key": member & 0xFFFFFFFF},
        )
        return int(count or 0)

    async def _try_lock(self) -> bool:
        conn = await self._engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            leader, _ = await self._key_pair(conn)
            got = bool(
                await conn.scalar(
                    text("SELECT pg_try_advisory_lock(:ns, :key)"), {"ns": LEADER_NS, "key": leader}
                )
            )
        except BaseException:
            await _discard(conn)
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        self._lost.clear()
        with contextlib.suppress(Exception):  # asyncpg: told the moment the socket closes
            raw = await conn.get_raw_connection()
            raw.driver_connection.add_termination_listener(lambda _conn: self._lost.set())  # type: ignore[union-attr]
        return True

    async def _holding(self) -> bool:
        if self._conn is None or self._lost.is_set():
            return False
        try:
            await asyncio.wait_for(self._conn.scalar(text("SELECT 1")), CHECK_SECONDS * 5)
        except Exception:
            return False
        return True

    async def _unlock(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._keys is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    conn.execute(
                        text("SELECT pg_advisory_unlock(:ns, :key)"), {"ns": LEADER_NS, "key": self._keys[0]}
                    ),
                    2.0,
                )
        await _discard(conn)

    async def run(self, stop: asyncio.Event, lead: Lead) -> None:
        """Until ``stop``: stand by, lead while holding the lock, resign if it is lost, stand by again."""
        if self._postgres:
            await self.join()
        while not stop.is_set():
            if self._postgres:
                try:
                    got = await self._try_lock()
                except Exception as e:  # the database is away: keep standing by, try again
                    log.warning("%s: leader lock not reachable: %s", self.name, e)
                    got = False
                if not got:
                    self.decided.set()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), CAMPAIGN_SECONDS)
                    continue
            await self._lead(stop, lead)
        await self.close()

    async def _lead(self, stop: asyncio.Event, lead: Lead) -> None:
        if self._postgres:
            await _wait_first(TAKEOVER_GRACE_SECONDS, stop, self._lost)
            if stop.is_set() or not await self._holding():
                await self._unlock()
                return
        self.terms += 1
        self.is_leader = True
        self.elected.set()
        log.info("%s: leader now (term %d)", self.name, self.terms)
        resign = asyncio.Event()
        duties = asyncio.create_task(lead(resign), name="leader-duties")
        await asyncio.sleep(0)  # let the duties start up to their first await
        self.decided.set()
        try:
            while not stop.is_set() and not duties.done():
                await _wait_first(CHECK_SECONDS, stop, self._lost)
                if self._postgres and not stop.is_set() and not await self._holding():
                    log.error("%s: lost the leader lock (database connection); resigning", self.name)
                    break
        finally:
            resign.set()
            try:
                await duties
            except Exception:
                log.exception("%s: leader duties failed", self.name)
            finally:
                self.is_leader = False
                self.elected.clear()
                await self._unlock()
        if duties.done() and not duties.cancelled() and not stop.is_set() and duties.exception() is None:
            # the duties ended on their own: do not spin taking the lock straight back
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CAMPAIGN_SECONDS)

    async def close(self) -> None:
        await self._unlock()
        member, self._member = self._member, None
        if member is not None:
            await _discard(member)


async def _wait_first(seconds: float, *events: asyncio.Event) -> None:
    """Return when any of ``events`` is set, or after ``seconds``."""
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


async def _discard(conn: AsyncConnection) -> None:
    """Close a connection that held session locks without handing it back to the pool."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()


class InstanceGuard:
    """The SQLite rule: one instance per database file (an exclusive ``flock``, freed when we die)."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle: IO[str] | None = handle

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()


def single_instance_guard(database_url: str) -> InstanceGuard | None:
    """On an SQLite file, take ``<file>.instance.lock`` or raise :class:`ConfigError` in one line.

    PostgreSQL and in-memory SQLite need no guard (``None``).
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or is_sqlite_memory(url) or not url.database:
        return None
    path = Path(url.database)
    lock_path = path.with_name(path.name + ".instance.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path.open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise ConfigError(
            "DATABASE_URL",
            f"another Aajel instance (pid {holder}) already runs on {path}; SQLite is one instance — "
            "use PostgreSQL to run several",
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return InstanceGuard(lock_path, handle)
