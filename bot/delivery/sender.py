"""The sender: drains the outbox into Telegram at the allowed rate, losing nothing.

Pipeline (one :class:`Sender` per process, three tasks under :meth:`Sender.run`)::

    claimer ── leases due rows (edits first, then flash > urgent > normal, oldest due first)
       │        into an in-memory heap holding about one second of sending
    dispatcher ── per job: chat free? (else hold it in memory ≤ HOLD_MAX_SECONDS, or put it back in
       │           the outbox with next_attempt_at) → global pacer → one HTTP request task
    flusher ── writes outcomes in batches (one executemany UPDATE per batch), then frees their slots

Who does what
    The outbox modules own the rows — :mod:`bot.delivery.leases` (claim, hand back, record outcomes),
    :mod:`bot.delivery.outbox` (migrate, deactivate, cancel) and :mod:`bot.delivery.outbox_counts`
    (every count); :mod:`bot.delivery.jobs` carries out one job (its requests and their fallbacks),
    asking the pure decider :mod:`bot.delivery.outcome` what each answer means;
    :mod:`bot.delivery.requests` renders and serialises request bodies; :mod:`bot.delivery.latency`
    measures detection-to-push times. This module is the loop that ties them together, and the
    in-memory state (heap, holds, slots, pacing) that goes with it.

Claiming, and why two senders never send the same delivery
    A claim leases rows with row locks (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite's single writer
    lock serialises claims instead), so two concurrent claims are disjoint, and the *lease* keeps a
    claimed row out of every other claim until its outcome is written. So the guarantee rests on **row
    locks for the claim + a lease for the send**. Every outcome write is guarded by ``lease_owner =
    <us>``: a sender never overwrites a row it no longer owns. A lease can only run out under a live
    sender if it stalls: a request is never *started* on a row with less than a quarter of
    ``DELIVERY__LEASE_SECONDS`` left (the row is handed back instead), and requests time out after
    ``DELIVERY__REQUEST_TIMEOUT_SECONDS`` — keep that below a quarter of the lease.

Crash safety — the duplicate bound
    A row is written ``sent`` (with Telegram's ``message_id``) after Telegram accepts it. Each message
    holds one of ``DELIVERY__CONCURRENCY + DELIVERY__RECORD_BATCH_SIZE`` "unconfirmed" slots
    (:attr:`Sender.max_unconfirmed`) from before its request starts until its outcome is committed, so
    **after a kill -9 at most CONCURRENCY + RECORD_BATCH_SIZE messages (132 by default) can be sent a
    second time** — the ones Telegram may have accepted while their ``sent`` was not yet committed. Every
    other recipient gets exactly one copy: rows not yet claimed are untouched, claimed ones return to the
    outbox. A request that times out is retried later and may have been delivered (Telegram was only
    slow): that is the same at-least-once window, one slot per request. ``tests/delivery/test_crash.py``
    asserts the bound against the emulator's per-chat counts.

Restarting without waiting for the lease
    Each sender holds a liveness lock named after its owner id (:mod:`bot.delivery.liveness`: a
    PostgreSQL advisory lock, or ``flock`` on SQLite), which the OS/server releases the instant the
    process dies. At start and every ``DELIVERY__RECOVERY_INTERVAL_SECONDS`` a sender probes the owners of
    live leases; a lock nobody holds means its owner is dead, and its rows are put back at once
    (:meth:`Sender.recover_dead_leases`). Lease expiry remains the fallback. A sender that loses its own
    liveness connection stops dispatching and starts over under a new owner id.

Limits
    One global :class:`~bot.delivery.limiter.Pacer` (``DELIVERY__GLOBAL_RATE``, or the paid-broadcast
    rate with ``allow_paid_broadcast``) and :class:`~bot.delivery.limiter.ChatLimits` (per chat, and
    20/min per group or channel). A chat that is not free never blocks other chats. Edits and deletes go
    through the same limiters.

Errors (the rules: :mod:`bot.delivery.outcome`)
    429 → the delivery is rescheduled after ``retry_after`` (not counted as an attempt), that chat waits
    the full ``retry_after``, the global pace halves and pauses at most ``FLOOD_PAUSE_MAX_SECONDS``;
    403 (blocked, deactivated, kicked, not a member) → subscriber/channel deactivated and its pending
    deliveries cancelled; group migrated → subscriber, channel and pending deliveries move to the new id
    and the message is sent there; "can't parse entities" → sent again as plain text; 5xx, timeouts and
    connection errors → retried with exponential backoff up to ``MAX_ATTEMPTS``; every final failure is
    stored with its reason. One failing delivery never stops the others.

Corrections and retractions (:mod:`bot.services.corrections`) mark sent copies ``edit_state='pending'``;
the claimer takes those first: correction → ``editMessageText``; retraction → ``deleteMessage`` when the
copy is younger than 48 h (else, or if Telegram refuses, an edit into a retraction notice). "message is
not modified" and "message to delete not found" count as done.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import metrics
from bot.clock import Clock
from bot.config import Settings
from bot.delivery import leases, outbox_counts
from bot.delivery.jobs import Job, JobRunner, SenderStats
from bot.delivery.latency import PushLatency, observe
from bot.delivery.leases import JobKind, Outcome
from bot.delivery.limiter import ChatLimits, Pacer
from bot.delivery.liveness import Liveness
from bot.delivery.requests import AlertInfo, load_alerts, warm_up
from bot.delivery.transport import BotApi
from bot.domain import DeliveryStatus, EditState, Urgency

log = logging.getLogger(__name__)

EDIT_PRIORITY = 3
"""Corrections and retractions go before every new message: a wrong alert must stop spreading."""
POLL_SECONDS = 1.0
CLAIM_STEP = 250
DEPTH_SECONDS = 1.0
PRIORITY_LABEL = {u.rank: u.value for u in Urgency}
ALERT_CACHE_SIZE = 256
DB_RETRY_MIN_SECONDS = 0.1
DB_RETRY_MAX_SECONDS = 1.0
"""While the database is down, the sender retries at least once a second: it resumes within ~1 s."""


@dataclass(frozen=True, slots=True)
class Finished:
    """An outcome waiting for the flusher; ``holds_slot``: it holds an unconfirmed slot until written."""

    outcome: Outcome
    holds_slot: bool = False


class Sender:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        bot: Bot,
        settings: Settings,
        clock: Clock,
        owner: str | None = None,
        api: BotApi | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._config = settings.delivery
        self._clock = clock
        self.owner = owner or _new_owner()
        self._api = api or BotApi.for_bot(
            bot, timeout=self._config.request_timeout_seconds, connections=self._config.concurrency
        )
        engine = sessionmaker.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            raise TypeError("the sender needs a sessionmaker bound to an AsyncEngine")
        self._liveness = Liveness(engine)
        config = self._config
        self.rate = config.paid_broadcast_rate if config.paid_broadcast else config.global_rate
        self.pacer = Pacer(self.rate, clock)
        self.chats = ChatLimits(
            clock,
            per_chat_interval=config.per_chat_interval_seconds,
            group_per_minute=config.group_per_minute,
        )
        self.max_unconfirmed = config.concurrency + config.record_batch_size
        """The duplicate bound: messages possibly accepted by Telegram but not yet recorded as sent."""
        self.stats = SenderStats()
        self.last_send_at: datetime | None = None
        """When Telegram last accepted a message from this sender (the ops pulse reads it)."""
        self._jobs = JobRunner(
            api=self._api,
            settings=settings,
            clock=clock,
            pacer=self.pacer,
            chats=self.chats,
            stats=self.stats,
        )
        self._latency = PushLatency(clock)
        self._wake = asyncio.Event()
        self._reset_memory()

    def _reset_memory(self) -> None:
        self._ready: list[tuple[int, float, int, Job]] = []  # (-priority, due, id, job): a heap
        self._held: list[tuple[float, int, Job]] = []  # (monotonic release time, seq, job): a heap
        self._seq = itertools.count()
        self._flying: set[asyncio.Task[None]] = set()
        self._buffer: list[Finished] = []
        self._queued: dict[int, int] = {}  # alert id → its jobs claimed and not yet written back
        self._alerts: dict[int, AlertInfo] = {}
        self._jobs.reset()
        self._latency.reset()
        self._work = asyncio.Event()
        self._need_more = asyncio.Event()
        self._has_outcomes = asyncio.Event()
        self._batch_full = asyncio.Event()
        self._claim_lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(self._config.concurrency)
        self._unconfirmed = asyncio.Semaphore(self.max_unconfirmed)
        self._closing = False
        self._lost = False
        self._stop: asyncio.Event | None = None
        self._db_failing = False
        self._next_recovery = 0.0
        self._next_depth = 0.0

    # --- public ----------------------------------------------------------------------------------
    def wake(self) -> None:
        """Called after an alert's deliveries (or a correction) are committed: look now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> None:
        """Send until ``stop`` is set (or, with ``until_idle``, until nothing is due or in memory).

        On the way out nothing is lost: in-flight requests finish, outcomes are written, and jobs
        still in memory go back to the outbox unsent.
        """
        self._reset_memory()
        self._stop = stop
        warm_up(self._settings)
        await self.acquire_identity(stop)
        with contextlib.suppress(Exception):  # unreachable now? the sends will say so, with retries
            await asyncio.wait_for(
                self._api.warm_up(self._config.concurrency), self._config.request_timeout_seconds
            )
        flusher = asyncio.create_task(self._flush_loop(), name="sender-flush")
        claimer = asyncio.create_task(self._claim_loop(stop), name="sender-claim")
        try:
            await self._dispatch_loop(stop, until_idle)
        finally:
            claimer.cancel()
            await asyncio.gather(claimer, return_exceptions=True)
            if self._flying:
                await asyncio.gather(*self._flying, return_exceptions=True)
            self._release_memory()
            self._closing = True
            self._has_outcomes.set()
            self._batch_full.set()
            await asyncio.gather(flusher, return_exceptions=True)
            await self._liveness.release()
            await self._api.close()

    async def run_until_idle(self) -> None:
        await self.run(asyncio.Event(), until_idle=True)

    async def aclose(self) -> None:
        """Release the liveness lock and the HTTP pool (other senders then see this one as dead)."""
        await self._liveness.release()
        await self._api.close()

    async def acquire_identity(self, stop: asyncio.Event | None = None) -> None:
        """Take a liveness lock under a fresh owner id, waiting for the database if it is down.

        Why wait here: this runs at start and after the liveness connection was lost — typically
        because the database went away. Raising would kill the sender (the outage of issue 9); waiting
        with a short capped backoff resumes sending within about a second of the database's return.
        """
        delay = DB_RETRY_MIN_SECONDS
        taken = 0
        reported = False
        while stop is None or not stop.is_set():
            try:
                if await self._liveness.acquire(self.owner):
                    if reported:
                        log.warning("sender %s: database reachable again, sending resumes", self.owner)
                    return
            except Exception as e:
                if not reported:
                    log.error("sender: cannot take a liveness lock (database down?): %s; retrying", e)
                    reported = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, DB_RETRY_MAX_SECONDS)
                continue
            taken += 1
            if taken >= 5:
                raise RuntimeError("could not take a sender liveness lock")
            self.owner = _new_owner()

    async def recover_dead_leases(self) -> int:
        """Put back rows leased by senders whose liveness lock is free (they died); returns how many."""
        now = self._clock.now()
        async with self._sessionmaker() as session:
            owners = await leases.lease_owners(session, now=now, besides=self.owner)
            await session.rollback()
        dead = [owner for owner in owners if not await self._liveness.is_alive(owner)]
        if not dead:
            return 0
        async with self._sessionmaker() as session, session.begin():
            count = await leases.release_leases(session, dead, now)
        self.stats.recovered += count
        log.warning("took over %d deliveries leased by dead sender(s) %s", count, ", ".join(dead))
        return count

    async def report_outbox_depth(self) -> None:
        """Set the outbox depth gauge (unfinished deliveries per priority) from the database now."""
        async with self._sessionmaker() as session:
            depth = await outbox_counts.depth_by_priority(session)
            await session.rollback()
        for rank, label in PRIORITY_LABEL.items():
            metrics.OUTBOX_DEPTH.labels(label).set(depth.get(rank, 0))

    # --- claiming --------------------------------------------------------------------------------
    def _target(self) -> int:
        """About one second of sending in memory: a new flash alert never queues behind much."""
        by_lease = int(self.rate * self._config.lease_seconds / 4)
        return max(1, min(self._config.batch_size, max(10, int(self.rate)), by_lease))

    def _in_memory(self) -> int:
        return len(self._ready) + len(self._held)

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            got = -1
            try:
                if loop.time() >= self._next_recovery:
                    self._next_recovery = loop.time() + self._config.recovery_interval_seconds
                    if not await self._liveness.check():
                        self._lost = True
                        self._work.set()
                        await asyncio.sleep(POLL_SECONDS)
                        continue
                    await self.recover_dead_leases()
                if loop.time() >= self._next_depth:  # at most once a second
                    self._next_depth = loop.time() + DEPTH_SECONDS
                    await self.report_outbox_depth()
                self.chats.prune()
                target = self._target()
                if self._in_memory() <= target // 2 and not self._lost:
                    # in steps of at most CLAIM_STEP rows: turning rows into jobs holds the event loop,
                    # and a long hold makes the pacer's next messages leave as a burst
                    got = await self._claim(min(CLAIM_STEP, target - self._in_memory()))
            except asyncio.CancelledError:
                raise
            except Exception:
                # once per outage with the traceback, not every second; and after it, check the
                # liveness lock first thing: a database that went away took our advisory lock with it
                if not self._db_failing:
                    log.exception("claiming deliveries failed; retrying every %.0fs", POLL_SECONDS)
                self._db_failing = True
                self._next_recovery = 0.0
                got = 0
            else:
                if self._db_failing:
                    log.warning("claiming deliveries works again")
                    self._db_failing = False
            if got > 0:
                continue
            self._need_more.clear()
            waits = [self._wake] if got == 0 else [self._wake, self._need_more]
            await _wait_any(waits, POLL_SECONDS)
            self._wake.clear()

    async def _claim(self, room: int) -> int:
        """Lease up to ``room`` due rows (edits first), load their alerts and queue them."""
        if room <= 0:
            return 0
        async with self._claim_lock, self._sessionmaker() as session, session.begin():
            jobs = await leases.claim(
                session,
                owner=self.owner,
                room=room,
                now=self._clock.now(),
                lease_seconds=self._config.lease_seconds,
            )
            if not jobs:
                return 0
            await self._load_alerts(session, {job.alert_id for job in jobs})
        for job in jobs:
            self._queued[job.alert_id] = self._queued.get(job.alert_id, 0) + 1
            self._push(job)
        self._work.set()
        return len(jobs)

    def _push(self, job: Job) -> None:
        priority = EDIT_PRIORITY if job.kind is JobKind.EDIT else job.priority
        heapq.heappush(self._ready, (-priority, job.due, job.id, job))

    async def _load_alerts(self, session: AsyncSession, alert_ids: set[int]) -> None:
        """(Re)load what the claimed jobs render: a correction committed a second ago is picked up."""
        self._alerts.update(await load_alerts(session, alert_ids, self._clock.now()))
        if len(self._alerts) > ALERT_CACHE_SIZE:
            self._alerts = {
                a: info for a, info in self._alerts.items() if self._queued.get(a) or a in alert_ids
            }
            self._jobs.templates.clear()

    def _detected_at(self, alert_id: int) -> datetime | None:
        info = self._alerts.get(alert_id)
        return None if info is None else info.detected_at

    # --- dispatching -----------------------------------------------------------------------------
    async def _dispatch_loop(self, stop: asyncio.Event, until_idle: bool) -> None:
        while not stop.is_set():
            if self._lost:
                await self._start_over()
                continue
            while self._held and self._held[0][0] <= self._clock.monotonic():
                self._push(heapq.heappop(self._held)[2])
            if self._ready:
                job = heapq.heappop(self._ready)[3]
                if self._in_memory() <= self._target() // 2:
                    self._need_more.set()
                await self._dispatch(job)
                continue
            if until_idle and not self._held:
                if await self._idle():
                    return
                continue
            self._need_more.set()
            self._work.clear()
            timeout = POLL_SECONDS
            if self._held:
                timeout = min(timeout, max(0.0, self._held[0][0] - self._clock.monotonic()))
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await _wait_any([self._work], timeout, extra=[stopper])
            finally:
                stopper.cancel()

    async def _idle(self) -> bool:
        """Nothing in memory, nothing in flight, everything written, and nothing due in the outbox."""
        if self._flying:
            await asyncio.gather(*self._flying, return_exceptions=True)
        await self._flush_everything()
        if self._ready or self._held:
            return False
        return await self._claim(self._target()) == 0 and not self._ready and not self._held

    async def _flush_everything(self) -> None:
        while self._buffer:
            self._batch_full.set()
            await asyncio.sleep(0.005)

    async def _start_over(self) -> None:
        """Our liveness lock is gone: others may be taking our rows. Drop them and take a new name."""
        log.error("sender %s lost its liveness lock; starting over under a new id", self.owner)
        if self._flying:
            await asyncio.gather(*self._flying, return_exceptions=True)
        self._release_memory()
        await self._flush_everything()
        await self._liveness.release()
        self.owner = _new_owner()
        await self.acquire_identity(self._stop)
        self._lost = False

    def _release_memory(self) -> None:
        jobs = [entry[3] for entry in self._ready] + [entry[2] for entry in self._held]
        self._ready.clear()
        self._held.clear()
        for job in jobs:
            self._emit(_hand_back(job))

    async def _dispatch(self, job: Job) -> None:
        chat = self._jobs.route(job)
        if chat is None:
            self._emit(
                Outcome(job, status=DeliveryStatus.CANCELLED, error="recipient gone", count_attempt=False)
            )
            return
        now = self._clock.now()
        lease_left = (job.lease_until - now).total_seconds()
        margin = self._config.lease_seconds / 4
        if lease_left < margin:  # could be taken over before we record it: do not risk a duplicate
            self._emit(_hand_back(job))
            return
        wait = self.chats.wait_for(chat)
        if wait > 0:
            if wait <= min(self._config.hold_max_seconds, lease_left - margin):
                heapq.heappush(self._held, (self._clock.monotonic() + wait, next(self._seq), job))
            else:
                self._emit(_hand_back(job, retry_at=now + timedelta(seconds=wait)))
            return
        await self._unconfirmed.acquire()
        await self._slots.acquire()
        await self.pacer.acquire()
        self.chats.record(chat)
        task = asyncio.create_task(self._perform(job, chat))
        self._flying.add(task)
        task.add_done_callback(self._flying.discard)

    async def _perform(self, job: Job, chat: int) -> None:
        try:
            outcome = await self._jobs.run(job, chat, self._alerts.get(job.alert_id))
        except Exception as e:  # a bug must not lose the message: retry it later
            log.exception("unexpected error on delivery %s", job.id)
            outcome = self._jobs.crashed(job, chat, e)
        finally:
            self._slots.release()
        self._emit(outcome, holds_slot=True)

    # --- recording -------------------------------------------------------------------------------
    def _emit(self, outcome: Outcome, *, holds_slot: bool = False) -> None:
        self._buffer.append(Finished(outcome, holds_slot))
        self._has_outcomes.set()
        if len(self._buffer) >= self._config.record_batch_size:
            self._batch_full.set()

    async def _flush_loop(self) -> None:
        size = self._config.record_batch_size
        while True:
            if not self._buffer:
                if self._closing:
                    return
                self._has_outcomes.clear()
                await self._has_outcomes.wait()
                continue
            if len(self._buffer) < size and not self._closing:
                self._batch_full.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._config.record_interval_seconds):
                        await self._batch_full.wait()
            batch, self._buffer = self._buffer[:size], self._buffer[size:]
            delay = 0.05
            failures = 0
            while True:
                try:
                    await self._write([finished.outcome for finished in batch])
                    break
                except Exception:
                    if failures == 0:  # once per outage with the traceback; the retries are quiet
                        log.exception("could not record %d delivery outcomes; retrying", len(batch))
                    failures += 1
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, DB_RETRY_MAX_SECONDS)
            if failures:
                log.warning("recorded %d delivery outcomes after %d failed attempts", len(batch), failures)
            self._after_write(batch)

    async def _write(self, batch: list[Outcome]) -> None:
        now = self._clock.now()
        async with self._sessionmaker() as session, session.begin():
            first = await self._latency.first_pushes(session, batch, self._detected_at)
            await leases.record(session, batch, now)
            last = await self._latency.last_pushes(session, batch, self._queued, self._detected_at)
        observe(first, last)

    def _after_write(self, batch: list[Finished]) -> None:
        for finished in batch:
            if finished.holds_slot:
                self._unconfirmed.release()
            outcome = finished.outcome
            alert_id = outcome.job.alert_id
            left = self._queued.get(alert_id, 0) - 1
            if left > 0:
                self._queued[alert_id] = left
            else:
                self._queued.pop(alert_id, None)
            if not outcome.release:
                self._count(outcome)

    def _count(self, outcome: Outcome) -> None:
        """Stats and metrics of one written outcome."""
        reason = metrics.failure_reason(outcome.error)
        if outcome.job.kind is JobKind.EDIT:
            if outcome.edit_state is EditState.DONE:
                self.stats.edits_done += 1
            elif outcome.edit_state is EditState.FAILED:
                self.stats.edits_failed += 1
                metrics.SEND_FAILURES.labels(reason).inc()
            elif outcome.count_attempt:
                metrics.SEND_RETRIES.labels(reason).inc()
            return
        if outcome.status is DeliveryStatus.SENT:
            self.stats.sent += 1
            self.last_send_at = outcome.sent_at or self._clock.now()
            metrics.SENDS.inc()
        elif outcome.status is DeliveryStatus.FAILED:
            self.stats.failed += 1
            key = outcome.error or "failed"
            self.stats.by_reason[key] = self.stats.by_reason.get(key, 0) + 1
            metrics.SEND_FAILURES.labels(reason).inc()
        elif outcome.status is DeliveryStatus.PENDING and outcome.count_attempt:
            self.stats.retried += 1
            metrics.SEND_RETRIES.labels(reason).inc()


def _hand_back(job: Job, *, retry_at: datetime | None = None) -> Outcome:
    """Return a job to the outbox unsent (not an attempt): stopping, lease nearly over, chat busy."""
    return Outcome(job, status=DeliveryStatus.PENDING, retry_at=retry_at, count_attempt=False, release=True)


def _new_owner() -> str:
    return f"sender-{uuid.uuid4().hex[:12]}"


async def _wait_any(
    events: Iterable[asyncio.Event], seconds: float, *, extra: Iterable[asyncio.Future[Any]] = ()
) -> None:
    """Wait until one of ``events`` is set (or ``extra`` completes), at most ``seconds``."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait([*waiters, *extra], timeout=max(0.0, seconds), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


__all__ = ["EDIT_PRIORITY", "Finished", "Job", "Outcome", "Sender", "SenderStats", "warm_up"]
