"""Sources shared by every instance: each due poll is claimed — and made — exactly once.

Design
------
Every instance runs a :class:`SourceScheduler` (instead of one timer per source in memory). Each tick
(:data:`TICK_SECONDS`, or at once when a poll finishes and room is free) it **claims** due sources in
one short transaction and polls them with the ordinary :class:`~bot.pipeline.Poller`:

* *due* means enabled, ``poll_due_at`` unset or passed, and not backing off (``next_poll_at``, set by
  the poller after a failure or a 429/503);
* claiming moves ``poll_due_at`` one interval on and records ``poll_owner`` / ``poll_lease_until`` —
  so a due source is taken by exactly one instance per interval, whoever comes first. The cadence is kept
  (``previous due + interval``) unless the source was more than one interval late; new sources start
  spread over ``jitter_fraction`` of their interval;
* claims are serialised by a transaction-level advisory lock (PostgreSQL; SQLite's ``BEGIN
  IMMEDIATE`` does the same) and the rows are taken ``FOR UPDATE SKIP LOCKED``. Serialising the
  (millisecond) claims is what makes the **per-host cap exact across instances**: a claim counts the
  live leases of each host and takes at most ``per_host_concurrency`` minus that many of its sources —
  the same number the fetcher allows per host inside one process. A host that answered 429/503 makes
  the poller set ``next_poll_at`` on that source; the scheduler copies it to every source of that host,
  so the pause holds on every instance.
* when a poll is done its lease is cleared (batched: one UPDATE per tick). A dead instance's leases
  run out after ``timeout_seconds`` + :data:`LEASE_MARGIN_SECONDS`; its sources were already moved to
  their next due time, so another instance polls them **at their next due time, within one interval**.
  The poll that was in flight when it died is the only one missed.
* a poll cut by a database outage (``db_error``) is due again at once: the release that clears its
  lease (retried until the database answers) also sets its due time to now, so it is polled again
  within a tick of the database's return, not an interval later. Only the first cut in a row does
  this — a source whose polls keep failing on the database keeps its cadence (no hot loop).

Invariants: a poll happens only after a successful claim by this instance; a claim never takes a
source whose due time lies ahead; ``poll_owner`` of a live lease names the instance polling it now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, as_utc
from bot.config import PollingSettings
from bot.coord.leader import CLAIM_NS, lock_key
from bot.db.models import Source

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
"""How often due sources are looked for (a source is polled at most this late)."""

LEASE_MARGIN_SECONDS = 5.0
"""A poll lease lasts the fetch timeout plus this, then counts as dead."""

MAX_PARALLEL = 64
"""Polls in flight per instance, at most."""

Poll = Callable[[int], Awaitable[Any]]


def host_of(url: str) -> str:
    """The politeness key of a source URL: lower-case host with its port, if any."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


@dataclass(frozen=True)
class Claimed:
    source_id: int
    host: str


def next_due(
    previous: datetime | None, now: datetime, interval: float, jitter: float, rng: random.Random
) -> datetime:
    """The due time after a claim at ``now``: keep the cadence unless more than one interval late."""
    step = timedelta(seconds=interval)
    if previous is not None and now - previous < step:
        return previous + step
    # first poll, or long overdue (backoff, downtime): restart the cadence, spread by the jitter
    return now + step * (1.0 - jitter * rng.random())


class SourceScheduler:
    """Claim due sources, poll them, release the leases — on every instance."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        poll: Poll,
        clock: Clock,
        settings: PollingSettings,
        owner: str,
        parallel: int = MAX_PARALLEL,
        seed: int | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._poll = poll
        self._clock = clock
        self._settings = settings
        self.owner = owner
        self._parallel = parallel
        self._rng = random.Random(seed)
        bind = sessionmaker.kw.get("bind")
        self._postgres = bind is not None and bind.dialect.name == "postgresql"
        self._flying: dict[int, asyncio.Task[None]] = {}
        self._done: list[int] = []
        self._throttled: list[int] = []
        self._cut: list[int] = []  # polls cut by the database: due again as soon as it answers
        self._cut_last_time: set[int] = set()
        self._failing = False  # claim/release failing: logged once per outage
        self._room = asyncio.Event()
        self._round: asyncio.Task[int] | None = None
        self.polls = 0

    # --- the loop --------------------------------------------------------------------------------
    async def tick(self) -> None:
        """Start one claim round in the background unless one is still running; returns at once.

        The application calls this every :data:`TICK_SECONDS` from its scheduler (so pausing the
        scheduler pauses claiming) — never blocking it, so a slow database only skips rounds.
        """
        if self._round is None or self._round.done():
            self._round = asyncio.create_task(self.round(), name="source-claims")

    async def round(self) -> int:
        """Release finished leases, claim what is due and start polling it; returns how many started."""
        try:
            await self.release()
            room = self._parallel - len(self._flying)
            claimed = await self.claim(room) if room > 0 else []
        except Exception:  # the database is away: keep going, try next tick (logged once per outage)
            if not self._failing:
                log.exception("source scheduler: claim/release failed; retrying every tick")
            self._failing = True
            return 0
        if self._failing:
            log.warning("source scheduler: claims work again")
            self._failing = False
        for one in claimed:
            self._start(one)
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: claim, poll, release — at once when a poll finishes, else every tick."""
        try:
            while not stop.is_set():
                await self.round()
                self._room.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_first(stop.wait(), self._room.wait()), TICK_SECONDS)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Let in-flight polls finish (bounded by the fetch timeout) and clear their leases."""
        if self._round is not None:
            with contextlib.suppress(Exception):
                await self._round
        if self._flying:
            await asyncio.wait(list(self._flying.values()), timeout=self._settings.timeout_seconds)
        with contextlib.suppress(Exception):
            await self.release()

    def _start(self, claimed: Claimed) -> None:
        task = asyncio.create_task(self._one(claimed), name=f"poll:{claimed.source_id}")
        self._flying[claimed.source_id] = task

    async def _one(self, claimed: Claimed) -> None:
        try:
            outcome = await self._poll(claimed.source_id)
            self.polls += 1
            status = getattr(outcome, "status", None)
            if status == "throttled":
                self._throttled.append(claimed.source_id)
            if status != "db_error":
                self._cut_last_time.discard(claimed.source_id)
            elif claimed.source_id not in self._cut_last_time:
                self._cut_last_time.add(claimed.source_id)
                self._cut.append(claimed.source_id)
        except Exception:
            log.exception("poll of source %s failed", claimed.source_id)
        finally:
            self._flying.pop(claimed.source_id, None)
            self._done.append(claimed.source_id)
            self._room.set()

    # --- claims ----------------------------------------------------------------------------------
    async def claim(self, limit: int) -> list[Claimed]:
        """Take up to ``limit`` due sources for this instance (one short transaction)."""
        now = self._clock.now()
        cap = self._settings.per_host_concurrency
        lease_until = now + timedelta(seconds=self._settings.timeout_seconds + LEASE_MARGIN_SECONDS)
        async with self._sessionmaker() as session, session.begin():
            if self._postgres:
                schema = str(await session.scalar(text("SELECT current_schema()")))
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:ns, :key)"),
                    {"ns": CLAIM_NS, "key": lock_key("claims", schema)},
                )
            await self._fill_hosts(session)
            busy = dict(
                (
                    await session.execute(
                        select(Source.host, func.count())
                        .where(Source.poll_lease_until > now)
                        .group_by(Source.host)
                    )
                ).all()
            )
            due = (
                select(Source.id, Source.host, Source.interval_seconds, Source.poll_due_at)
                .where(
                    Source.enabled,
                    or_(Source.poll_due_at.is_(None), Source.poll_due_at <= now),
                    or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now),
                    or_(Source.poll_lease_until.is_(None), Source.poll_lease_until <= now),
                )
                .order_by(Source.poll_due_at.is_not(None), Source.poll_due_at, Source.id)
                .limit(max(limit * 4, 256))
            )
            if self._postgres:
                due = due.with_for_update(skip_locked=True)
            taken: list[Claimed] = []
            params: list[dict[str, Any]] = []
            jitter = self._settings.jitter_fraction
            for source_id, host, interval, previous in (await session.execute(due)).all():
                host = host or ""
                if busy.get(host, 0) >= cap:
                    continue
                busy[host] = busy.get(host, 0) + 1
                previous = None if previous is None else as_utc(previous)
                params.append(
                    {
                        "sid": source_id,
                        "due": next_due(previous, now, float(interval), jitter, self._rng),
                        "owner": self.owner,
                        "lease": lease_until,
                    }
                )
                taken.append(Claimed(source_id, host))
                if len(taken) >= limit:
                    break
            if params:
                await session.execute(
                    update(Source.__table__)  # type: ignore[arg-type]
                    .where(Source.__table__.c.id == bindparam("sid"))
                    .values(
                        poll_due_at=bindparam("due"),
                        poll_owner=bindparam("owner"),
                        poll_lease_until=bindparam("lease"),
                    ),
                    params,
                )
        return taken

    async def _fill_hosts(self, session: AsyncSession) -> None:
        """Sources imported since the last claim get their politeness key."""
        rows = (await session.execute(select(Source.id, Source.url).where(Source.host.is_(None)))).all()
        if rows:
            await session.execute(
                update(Source.__table__)  # type: ignore[arg-type]
                .where(Source.__table__.c.id == bindparam("sid"))
                .values(host=bindparam("h")),
                [{"sid": sid, "h": host_of(url)} for sid, url in rows],
            )

    # --- releases --------------------------------------------------------------------------------
    async def release(self) -> None:
        """Clear the leases of finished polls; spread a host's 429/503 pause to all its sources."""
        done, self._done = self._done, []
        throttled, self._throttled = self._throttled, []
        cut, self._cut = self._cut, []
        if not done and not throttled and not cut:
            return
        try:
            async with self._sessionmaker() as session, session.begin():
                if cut:  # polled again at the next claim: the cut poll's items are not left waiting
                    await session.execute(
                        update(Source)
                        .where(Source.id.in_(cut))
                        .values(poll_due_at=self._clock.now())
                        .execution_options(synchronize_session=False)
                    )
                if done:
                    await session.execute(
                        update(Source)
                        .where(Source.id.in_(done), Source.poll_owner == self.owner)
                        .values(poll_lease_until=None, poll_owner=None)
                        .execution_options(synchronize_session=False)
                    )
                for source_id in throttled:
                    await self._spread_pause(session, source_id)
        except BaseException:
            self._done.extend(done)
            self._throttled.extend(throttled)
            self._cut.extend(cut)
            raise

    async def _spread_pause(self, session: AsyncSession, source_id: int) -> None:
        row = (
            await session.execute(select(Source.host, Source.next_poll_at).where(Source.id == source_id))
        ).first()
        if row is None or row.host is None or row.next_poll_at is None:
            return
        until = as_utc(row.next_poll_at)
        await session.execute(
            update(Source)
            .where(
                Source.host == row.host,
                Source.id != source_id,
                or_(Source.next_poll_at.is_(None), Source.next_poll_at < until),
            )
            .values(next_poll_at=until)
            .execution_options(synchronize_session=False)
        )

    @property
    def in_flight(self) -> Sequence[int]:
        return list(self._flying)


async def _first(*waits: Awaitable[Any]) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
