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
* **The lock connection broke: outage or lost lock?** Checked every :data:`CHECK_SECONDS` (a closed
  socket is noticed at once). The leader then opens a fresh connection (:meth:`Leadership._reachable`,
  at most :data:`PROBE_TIMEOUT_SECONDS`):

  - *the database answers* — only our session ended (``pg_terminate_backend`` by an operator, an idle
    timeout, a proxy dropping one connection): the lock is someone else's to take, so the leader
    **resigns** — its duties stop — and campaigns again like any standby;
  - *the database cannot be reached at all* (connection refused, reset, timed out) — the leader is
    **sticky**: it keeps its role and its duties, so long polling goes on and users hear "temporarily
    unavailable" (issue 9) instead of nothing. Nobody can take the lock meanwhile: it lives in the same
    unreachable database. Every :data:`STICKY_PROBE_SECONDS` it tries to reach the database and take
    the lock again; once reachable it either holds the lock again (same term, nothing restarts) or —
    another instance was faster — **resigns at once**.

  *Overlap bound.* After a full outage, at most one instance holds the lock and a new holder waits
  :data:`TAKEOVER_GRACE_SECONDS` (1 s) before acting, while the sticky leader gives up within one probe
  (≤ 0.1 s + one connect) of the database's return: no duty overlaps, at worst one ``getUpdates``
  still open at Telegram answers 409 once. A *partition* that cuts only the leader off the database
  while a standby still reaches it makes two leaders until it heals: the standby leads for real, the
  sticky one keeps long polling (409 Conflicts; updates it receives are answered "temporarily
  unavailable") but can do nothing that needs the database — it sends nothing (claims, leases and the
  sender's liveness lock are in the database), runs no digest, ops check or progress panel to
  completion — and it resigns within one probe of reaching the database again. :attr:`holds_lock`
  tells work that must never run twice whether the lock is really held right now.
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

from bot.db.session import is_database_unavailable, is_sqlite_memory
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

STICKY_PROBE_SECONDS = 0.1
"""While the database is unreachable, how often a sticky leader tries to reach it and re-take the lock —
more often than a standby campaigns, so the leader usually wins its lock back when the database returns."""

PROBE_TIMEOUT_SECONDS = 1.0
"""How long one attempt to reach the database may take before it counts as "unreachable"."""

DUTIES_STOP_SECONDS = 30.0
"""How long a resigning leader waits for its duties to wind down before it cancels them. The duties
bound their own parts (the sender's and long polling's graces, bot.workers.runner); this bound is for
what they do not, so that a leader always steps down and a shutdown always ends."""

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
        self._member_lost = asyncio.Event()
        self._keys: tuple[int, int] | None = None
        self._lost = asyncio.Event()
        self._unreachable = False  # a standby's campaign failing on the database: logged once per outage
        self.is_leader = False
        self.sticky = False
        """Leading without the lock while the database cannot be reached (see the module docstring)."""
        self.elected = asyncio.Event()
        self.decided = asyncio.Event()
        """Set after the first campaign: this instance leads (its duties have started) or stands by."""
        self.terms = 0
        self.campaigns = 0
        """Attempts to take the lock as a standby (tests wait on it instead of sleeping)."""

    @property
    def postgres(self) -> bool:
        return self._postgres

    @property
    def holds_lock(self) -> bool:
        """Leading with the lock really held (always, on SQLite) — not riding out an outage sticky."""
        return self.is_leader and not self.sticky

    async def _key_pair(self, conn: AsyncConnection) -> tuple[int, int]:
        if self._keys is None:
            schema = str(await conn.scalar(text("SELECT current_schema()")) or "public")
            self._keys = (lock_key("leader", self._bot, schema), lock_key("member", self._bot, schema))
        return self._keys

    async def join(self) -> None:
        """Become a member (shared lock); PostgreSQL only, a no-op elsewhere. Joins again after an
        outage ended the member session."""
        if not self._postgres or (self._member is not None and not self._member_lost.is_set()):
            return
        old, self._member = self._member, None
        if old is not None:
            await _discard(old)
        conn = await self._engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            _, member = await self._key_pair(conn)
            await conn.execute(
                text("SELECT pg_advisory_lock_shared(:ns, :key)"), {"ns": MEMBER_NS, "key": member}
            )
        except BaseException:
            await _discard(conn)
            raise
        self._member_lost.clear()
        self._member = conn
        await _on_close(conn, self._member_lost)

    async def members(self) -> int:
        """How many instances of this bot are alive on this database (1 on SQLite)."""
        if not self._postgres or self._member is None:
            return 1
        await self.join()
        assert self._member is not None
        _, member = await self._key_pair(self._member)
        try:
            count = await self._member.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND classid = CAST(:ns AS oid) AND objid = CAST(:key AS oid) AND objsubid = 2"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"ns": MEMBER_NS, "key": member & 0xFFFFFFFF},
            )
        except Exception:
            self._member_lost.set()  # join again next time
            raise
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
        await _on_close(conn, self._lost)
        return True

    async def _holding(self) -> bool:
        if self._conn is None or self._lost.is_set():
            return False
        try:
            await asyncio.wait_for(self._conn.scalar(text("SELECT 1")), CHECK_SECONDS * 5)
        except Exception:
            return False
        return True

    async def _reachable(self) -> bool:
        """Does the database answer a fresh connection (within :data:`PROBE_TIMEOUT_SECONDS`)?

        Only "cannot reach it at all" (:func:`~bot.db.session.is_database_unavailable`: refused, reset,
        timed out) is ``False``; any other failure means a server that answers, so ``True``."""
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                async with self._engine.connect() as conn:
                    await conn.scalar(text("SELECT 1"))
        except Exception as e:
            return not is_database_unavailable(e)
        return True

    async def _retake(self, stop: asyncio.Event) -> bool:
        """Sticky: lead on while the database is unreachable; ``True`` once the lock is ours again,
        ``False`` if the database answers and another instance holds it (or on ``stop``)."""
        while not stop.is_set():
            await _wait_first(STICKY_PROBE_SECONDS, stop)
            if stop.is_set():
                break
            try:
                async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                    return await self._try_lock()
            except Exception as e:
                if not is_database_unavailable(e):
                    log.error("%s: leader lock not re-taken: %s", self.name, e)
                    return False
        return False

    async def _stick(self, stop: asyncio.Event) -> bool:
        """The lock connection broke and the database cannot be reached: keep leading until it can."""
        log.error(
            "%s: database unreachable: keeping the leader's role until it returns (nobody can take the "
            "lock meanwhile); users are told the bot is temporarily unavailable",
            self.name,
        )
        dead, self._conn = self._conn, None
        if dead is not None:
            await _discard(dead)
        self.sticky = True
        try:
            kept = await self._retake(stop)
        finally:
            self.sticky = False
        if kept:
            log.warning(
                "%s: database reachable again; leader lock re-taken (term %d goes on)", self.name, self.terms
            )
            with contextlib.suppress(Exception):
                await self.join()
        elif not stop.is_set():
            log.error(
                "%s: database reachable again but another instance holds the lock; resigning", self.name
            )
        return kept

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
        while not stop.is_set():
            if self._postgres:
                self.campaigns += 1
                try:
                    await self.join()
                    got = await self._try_lock()
                except Exception as e:  # the database is away: keep standing by, try again
                    if not self._unreachable:
                        log.warning(
                            "%s: leader lock not reachable (standing by until it is): %s", self.name, e
                        )
                        self._unreachable = True
                    got = False
                else:
                    if self._unreachable:
                        log.warning("%s: leader lock reachable again", self.name)
                        self._unreachable = False
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
                if not self._postgres or stop.is_set() or await self._holding():
                    continue
                if await self._reachable():
                    log.error("%s: lost the leader lock while the database answers; resigning", self.name)
                    break
                if not await self._stick(stop):
                    break
        finally:
            resign.set()
            try:
                await _end_duties(self.name, duties)
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


async def _on_close(conn: AsyncConnection, lost: asyncio.Event) -> None:
    """asyncpg: set ``lost`` the moment the connection's socket closes (best effort)."""
    with contextlib.suppress(Exception):
        raw = await conn.get_raw_connection()
        raw.driver_connection.add_termination_listener(lambda _conn: lost.set())  # type: ignore[union-attr]


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


async def _end_duties(name: str, duties: asyncio.Task[None]) -> None:
    """Wait for resigned duties to end, at most :data:`DUTIES_STOP_SECONDS`; then cancel them (waiting
    as long again). A failure is logged, never raised: stepping down must go on to unlock. If we are
    cancelled meanwhile, the duties are cancelled too (as awaiting the task directly would do)."""
    try:
        done, _ = await asyncio.wait({duties}, timeout=DUTIES_STOP_SECONDS)
        if not done:
            log.error(
                "%s: leader duties still running %.0f s after resigning; cancelling them",
                name,
                DUTIES_STOP_SECONDS,
            )
            duties.cancel()
            await asyncio.wait({duties}, timeout=DUTIES_STOP_SECONDS)
    except asyncio.CancelledError:
        duties.cancel()
        raise
    if duties.done() and not duties.cancelled() and duties.exception() is not None:
        log.error("%s: leader duties failed", name, exc_info=duties.exception())
