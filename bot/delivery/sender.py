"""The sender: drains the outbox into Telegram at the allowed rate, losing nothing.

Pipeline (one :class:`Sender` per process, three tasks under :meth:`Sender.run`)::

    claimer ── leases due rows (edits first, then flash > urgent > normal, oldest due first)
       │        into an in-memory heap holding about one second of sending
    dispatcher ── per job: chat free? (else hold it in memory ≤ HOLD_MAX_SECONDS, or put it back in
       │           the outbox with next_attempt_at) → global pacer → one HTTP request task
    flusher ── writes outcomes in batches (one executemany UPDATE per batch), then frees their slots

Claiming, and why two senders never send the same delivery
    A claim is one transaction of ``UPDATE … SET status='sending', lease_owner, lease_until WHERE id IN
    (SELECT … ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED) RETURNING …`` statements: the row locks
    (PostgreSQL; SQLite's single writer lock serialises claims instead) make two concurrent claims
    disjoint, and the *lease* keeps a claimed row out of every other claim until its outcome is written.
    So the guarantee rests on **row locks for the claim + a lease for the send**. Every outcome write is
    guarded by ``lease_owner = <us>``: a sender never overwrites a row it no longer owns. A lease can
    only run out under a live sender if it stalls: a request is never *started* on a row with less than
    a quarter of ``DELIVERY__LEASE_SECONDS`` left (the row is handed back instead), and requests time out
    after ``DELIVERY__REQUEST_TIMEOUT_SECONDS`` — keep that below a quarter of the lease.

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

Errors
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
import gc
import heapq
import itertools
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Integer,
    Table,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import metrics
from bot.clock import Clock, as_utc
from bot.config import Settings
from bot.db.models import Alert, Channel, Delivery, Subscriber
from bot.delivery.channel_render import ChannelStyle, render_channel_post
from bot.delivery.digest_render import render_digest
from bot.delivery.limiter import ChatLimits, Pacer
from bot.delivery.liveness import Liveness
from bot.delivery.render import AlertView, render_alert, render_retraction
from bot.delivery.transport import BotApi
from bot.domain import AlertState, DeliveryStatus, Urgency
from bot.exceptions import BotApiError, BotApiUnavailable
from bot.services.alerts import cancel_pending_for_chat

log = logging.getLogger(__name__)

DELIVERIES: Table = Delivery.__table__  # type: ignore[assignment]
_REPLY = '"reply_parameters":{{"message_id":{},"allow_sending_without_reply":true}},'
"""Spliced before a shared template (see :meth:`BotApi.call_with`): the reply target is per chat."""
SEND, EDIT = "send", "edit"
EDIT_PRIORITY = 3
"""Corrections and retractions go before every new message: a wrong alert must stop spreading."""
DELETE_WINDOW = timedelta(hours=48)
DELETE_SAFETY = timedelta(minutes=5)
"""Copies this close to 48 h are edited rather than deleted (clocks differ; a refused delete costs a call)."""
EDIT_LOOKBACK = timedelta(days=30)
POLL_SECONDS = 1.0
CLAIM_STEP = 250
DEPTH_SECONDS = 1.0
PRIORITY_LABEL = {u.rank: u.value for u in Urgency}
DB_RETRY_MIN_SECONDS = 0.1
DB_RETRY_MAX_SECONDS = 1.0
"""While the database is down, the sender retries at least once a second: it resumes within ~1 s."""


@dataclass(slots=True)
class Job:
    """One claimed delivery (a send, or an edit/delete of a sent copy), held in memory."""

    kind: str
    id: int
    alert_id: int
    chat_id: int
    thread_id: int
    subscriber_id: int | None
    channel_id: int | None
    attempts: int
    priority: int
    owner: str
    lease_until: datetime
    lang: str = "ar"
    message_id: int | None = None
    sent_at: datetime | None = None
    signature: str | None = None  # a channel's signature line (channel rows only)
    due: float = 0.0  # next_attempt_at when claimed: within a priority, the longest due goes first
    reply_to: int | None = None  # message id of the earlier push this one replies to (an update)


@dataclass(slots=True)
class Outcome:
    """What became of a job; written by the flusher."""

    job: Job
    status: DeliveryStatus | None = None  # sends: the new status
    edit_state: str | None = None  # edits: "done"/"failed"; None keeps "pending" (retry/release)
    message_id: int | None = None
    sent_at: datetime | None = None
    error: str | None = None
    retry_in: float | None = None
    count_attempt: bool = True
    gone: bool = False
    new_chat_id: int | None = None
    holds_slot: bool = False
    release: bool = False  # handed back unsent (stop, lease nearly over): not a retry


@dataclass(slots=True)
class AlertInfo:
    view: AlertView | None  # None: retracted or deleted — unsent copies are cancelled
    state: AlertState
    detected_at: datetime
    original: AlertView | None = None


@dataclass
class SenderStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    flood_waits: int = 0
    edits_done: int = 0
    edits_failed: int = 0
    recovered: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


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
        self._d = settings.delivery
        self._clock = clock
        self.owner = owner or _new_owner()
        self._bot_username: str | None = None  # for channel posts' deep links, from getMe once
        self._api = api or BotApi.for_bot(
            bot, timeout=self._d.request_timeout_seconds, connections=self._d.concurrency
        )
        engine = sessionmaker.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            raise TypeError("the sender needs a sessionmaker bound to an AsyncEngine")
        self._liveness = Liveness(engine)
        self.rate = self._d.paid_broadcast_rate if self._d.paid_broadcast else self._d.global_rate
        self.pacer = Pacer(self.rate, clock)
        self.chats = ChatLimits(
            clock,
            per_chat_interval=self._d.per_chat_interval_seconds,
            group_per_minute=self._d.group_per_minute,
        )
        self.max_unconfirmed = self._d.concurrency + self._d.record_batch_size
        """The duplicate bound: messages possibly accepted by Telegram but not yet recorded as sent."""
        self.stats = SenderStats()
        self.last_send_at: datetime | None = None
        """When Telegram last accepted a message from this sender (the ops pulse reads it)."""
        self._wake = asyncio.Event()
        self._reset_memory()

    def _reset_memory(self) -> None:
        self._ready: list[tuple[int, float, int, Job]] = []
        self._held: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._flying: set[asyncio.Task[None]] = set()
        self._buffer: list[Outcome] = []
        self._queued: dict[int, int] = {}
        self._alerts: dict[int, AlertInfo] = {}
        self._templates: dict[tuple[Any, ...], str] = {}
        self._migrated: dict[int, int] = {}
        self._gone: set[int] = set()
        self._first_checked: set[int] = set()
        self._last_done: set[int] = set()
        self._work = asyncio.Event()
        self._need_more = asyncio.Event()
        self._has_outcomes = asyncio.Event()
        self._batch_full = asyncio.Event()
        self._claim_lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(self._d.concurrency)
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
        _warm_up(self._settings)
        await self._acquire_identity(stop)
        with contextlib.suppress(Exception):  # unreachable now? the sends will say so, with retries
            await asyncio.wait_for(self._api.warm_up(self._d.concurrency), self._d.request_timeout_seconds)
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
        await self._liveness.release()
        await self._api.close()

    # --- identity and recovery -------------------------------------------------------------------
    async def _acquire_identity(self, stop: asyncio.Event | None = None) -> None:
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
            owners = set(
                await session.scalars(
                    select(Delivery.lease_owner)
                    .where(
                        Delivery.status == DeliveryStatus.SENDING.value,
                        Delivery.lease_until >= now,
                        Delivery.lease_owner != self.owner,
                    )
                    .distinct()
                )
            )
            owners |= set(
                await session.scalars(
                    select(Delivery.lease_owner)
                    .where(
                        Delivery.alert_id.in_(_edit_alerts(now)),
                        Delivery.status == DeliveryStatus.SENT.value,
                        Delivery.lease_until >= now,
                        Delivery.lease_owner != self.owner,
                    )
                    .distinct()
                )
            )
            await session.rollback()
        dead = [owner for owner in owners if owner and not await self._liveness.is_alive(owner)]
        if not dead:
            return 0
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.lease_owner.in_(dead))
                .values(
                    status=case(
                        (DELIVERIES.c.status == DeliveryStatus.SENDING.value, DeliveryStatus.PENDING.value),
                        else_=DELIVERIES.c.status,
                    ),
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                )
            )
        count = _rowcount(result)
        self.stats.recovered += count
        log.warning("took over %d deliveries leased by dead sender(s) %s", count, ", ".join(dead))
        return count

    # --- claiming --------------------------------------------------------------------------------
    def _target(self) -> int:
        """About one second of sending in memory: a new flash alert never queues behind much."""
        by_lease = int(self.rate * self._d.lease_seconds / 4)
        return max(1, min(self._d.batch_size, max(10, int(self.rate)), by_lease))

    def _in_memory(self) -> int:
        return len(self._ready) + len(self._held)

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            got = -1
            try:
                if loop.time() >= self._next_recovery:
                    self._next_recovery = loop.time() + self._d.recovery_interval_seconds
                    if not await self._liveness.check():
                        self._lost = True
                        self._work.set()
                        await asyncio.sleep(POLL_SECONDS)
                        continue
                    await self.recover_dead_leases()
                await self._refresh_depth()
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
        """Lease up to ``room`` due rows (edits first) and queue them; returns how many.

        Each step is one ``UPDATE … WHERE id IN (SELECT … LIMIT :n FOR UPDATE SKIP LOCKED) RETURNING``
        whose SQL never changes shape (no variable-length ``IN`` lists), so drivers' prepared-statement
        caches stay small however many rows go through; the subscriber's language comes back in the
        same statement.
        """
        if room <= 0:
            return 0
        async with self._claim_lock:
            now = self._clock.now()
            lease_until = now + timedelta(seconds=self._d.lease_seconds)
            lease = {"lease_owner": self.owner, "lease_until": lease_until, "updated_at": now}
            owner = self.owner
            returning = (
                Delivery.id,
                Delivery.alert_id,
                Delivery.chat_id,
                Delivery.thread_id,
                Delivery.subscriber_id,
                Delivery.channel_id,
                Delivery.attempts,
                Delivery.priority,
                Delivery.telegram_message_id,
                Delivery.sent_at,
                Delivery.next_attempt_at,
                select(Subscriber.language)
                .where(Subscriber.id == Delivery.subscriber_id)
                .scalar_subquery()
                .label("language"),
                Delivery.reply_to_id,
                select(Channel.signature)
                .where(Channel.id == Delivery.channel_id)
                .scalar_subquery()
                .label("signature"),
            )

            def pick(limit: int, *where: Any, order: tuple[Any, ...]) -> Any:
                return Delivery.id.in_(
                    select(Delivery.id)
                    .where(*where)
                    .order_by(*order)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )

            rows: list[tuple[str, Any]] = []
            async with self._sessionmaker() as session, session.begin():
                edits = await session.execute(
                    update(Delivery)
                    .where(
                        pick(
                            room,
                            Delivery.alert_id.in_(_edit_alerts(now)),
                            Delivery.status == DeliveryStatus.SENT.value,
                            Delivery.edit_state == "pending",
                            Delivery.next_attempt_at <= now,
                            or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
                            order=(Delivery.id,),
                        )
                    )
                    .values(**lease)
                    .returning(*returning)
                )
                rows += [(EDIT, row) for row in edits.all()]
                steps: list[tuple[Any, ...]] = [
                    (
                        Delivery.status == DeliveryStatus.PENDING.value,
                        Delivery.priority == rank,
                        Delivery.next_attempt_at <= now,
                    )
                    for rank in sorted(PRIORITY_LABEL, reverse=True)
                ]
                # leases that ran out (a sender died without a liveness lock we could probe)
                steps.append((Delivery.status == DeliveryStatus.SENDING.value, Delivery.lease_until < now))
                for index, where in enumerate(steps):
                    left = room - len(rows)
                    if left <= 0:
                        break
                    order = (
                        (Delivery.priority.desc(), Delivery.id)
                        if index == len(steps) - 1
                        else (Delivery.next_attempt_at, Delivery.id)
                    )
                    sends = await session.execute(
                        update(Delivery)
                        .where(pick(left, *where, order=order))
                        .values(status=DeliveryStatus.SENDING.value, **lease)
                        .returning(*returning)
                    )
                    rows += [(SEND, row) for row in sends.all()]
                if not rows:
                    return 0
                await self._load_alerts(session, {row.alert_id for _, row in rows})
                replies = await _reply_targets(session, {r.reply_to_id for _, r in rows if r.reply_to_id})
        default = self._settings.default_language
        for kind, row in rows:
            job = Job(
                kind=kind,
                id=row.id,
                alert_id=row.alert_id,
                chat_id=row.chat_id,
                thread_id=row.thread_id,
                subscriber_id=row.subscriber_id,
                channel_id=row.channel_id,
                attempts=row.attempts,
                priority=EDIT_PRIORITY if kind == EDIT else row.priority,
                owner=owner,
                lease_until=lease_until,
                lang=row.language or default,
                message_id=row.telegram_message_id,
                sent_at=as_utc(row.sent_at) if row.sent_at is not None else None,
                signature=row.signature,
                due=as_utc(row.next_attempt_at).timestamp(),
                reply_to=replies.get(row.reply_to_id) if row.reply_to_id else None,
            )
            self._queued[job.alert_id] = self._queued.get(job.alert_id, 0) + 1
            self._push(job)
        self._work.set()
        return len(rows)

    def _push(self, job: Job) -> None:
        heapq.heappush(self._ready, (-job.priority, job.due, job.id, job))

    async def _load_alerts(self, session: AsyncSession, alert_ids: set[int]) -> None:
        """(Re)load what the claimed jobs render: a correction committed a second ago is picked up."""
        if not alert_ids:
            return
        alerts = await session.scalars(select(Alert).where(Alert.id.in_(alert_ids)))
        found: set[int] = set()
        for alert in alerts:
            found.add(alert.id)
            when = alert.published_at or alert.detected_at
            original = AlertView(
                alert_id=alert.id,
                headline=alert.headline,
                urgency=Urgency(alert.urgency),
                topic_names=tuple((t.name_ar, t.name_en) for t in alert.topics),
                source_name=alert.source_name,
                when=as_utc(when) if when else None,
                url=alert.url,
                article_id=alert.article_id,
                body=alert.body,
                kind=alert.kind,
            )
            state = AlertState(alert.state)
            view: AlertView | None = original
            if state is AlertState.RETRACTED:
                view = None
            elif state is AlertState.CORRECTED and alert.correction_text:
                view = AlertView(
                    **{**_fields(original), "headline": alert.correction_text, "corrected": True}
                )
            self._alerts[alert.id] = AlertInfo(view, state, as_utc(alert.detected_at), original)
        for missing in alert_ids - found:
            self._alerts[missing] = AlertInfo(None, AlertState.RETRACTED, self._clock.now())
        if len(self._alerts) > 256:
            self._alerts = {
                a: info for a, info in self._alerts.items() if self._queued.get(a) or a in alert_ids
            }
            self._templates.clear()

    async def _refresh_depth(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() < self._next_depth:
            return
        self._next_depth = loop.time() + DEPTH_SECONDS
        async with self._sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Delivery.priority, func.count())
                    .where(Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]))
                    .group_by(Delivery.priority)
                )
            ).all()
            await session.rollback()
        depth = {int(priority): int(count) for priority, count in rows}
        for rank, label in PRIORITY_LABEL.items():
            metrics.OUTBOX_DEPTH.labels(label).set(depth.get(rank, 0))

    # --- dispatching -----------------------------------------------------------------------------
    async def _dispatch_loop(self, stop: asyncio.Event, until_idle: bool) -> None:
        while not stop.is_set():
            if self._lost:
                await self._start_over()
                continue
            while self._held and self._held[0][0] <= self._clock.monotonic():
                self._push(heapq.heappop(self._held)[2])
            if self._ready:
                _, _, _, job = heapq.heappop(self._ready)
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
        await self._acquire_identity(self._stop)
        self._lost = False

    def _release_memory(self) -> None:
        jobs = [entry[3] for entry in self._ready] + [entry[2] for entry in self._held]
        self._ready.clear()
        self._held.clear()
        for job in jobs:
            self._emit(Outcome(job, status=DeliveryStatus.PENDING, count_attempt=False, release=True))

    async def _dispatch(self, job: Job) -> None:
        chat = self._migrated.get(job.chat_id, job.chat_id)
        if chat in self._gone and job.kind == SEND:
            self._emit(
                Outcome(job, status=DeliveryStatus.CANCELLED, error="recipient gone", count_attempt=False)
            )
            return
        lease_left = (job.lease_until - self._clock.now()).total_seconds()
        margin = self._d.lease_seconds / 4
        if lease_left < margin:  # could be taken over before we record it: do not risk a duplicate
            self._emit(Outcome(job, status=DeliveryStatus.PENDING, count_attempt=False, release=True))
            return
        wait = self.chats.wait_for(chat)
        if wait > 0:
            if wait <= min(self._d.hold_max_seconds, lease_left - margin):
                heapq.heappush(self._held, (self._clock.monotonic() + wait, next(self._seq), job))
            else:
                self._emit(
                    Outcome(
                        job, status=DeliveryStatus.PENDING, retry_in=wait, count_attempt=False, release=True
                    )
                )
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
            outcome = await (self._send(job, chat) if job.kind == SEND else self._edit(job, chat))
        except Exception as e:  # a bug must not lose the message: retry it later
            log.exception("unexpected error on delivery %s", job.id)
            outcome = self._retry(job, f"{type(e).__name__}: {e}")
        finally:
            self._slots.release()
        outcome.holds_slot = True
        self._emit(outcome)

    # --- sending ---------------------------------------------------------------------------------
    def _template(self, key: tuple[Any, ...], build: Callable[[], dict[str, Any]]) -> str:
        template = self._templates.get(key)
        if template is None:
            if len(self._templates) > 512:
                self._templates.clear()
            template = self._templates[key] = BotApi.template(build())
        return template

    async def _channel_style(self, job: Job) -> ChannelStyle | None:
        """Channel posts carry URL buttons only (a deep link for the full article) and a signature."""
        if job.channel_id is None:
            return None
        if self._bot_username is None:
            me = await self._api.call("getMe", {})
            self._bot_username = str(me.get("username") or "")
        return ChannelStyle(bot_username=self._bot_username, signature=job.signature)

    def _message_params(
        self, view: AlertView, lang: str, plain: bool, *, for_edit: bool, style: ChannelStyle | None = None
    ) -> dict[str, Any]:
        render = render_digest if view.kind == "digest" else render_alert
        if style is not None and view.kind != "digest":
            message = render_channel_post(view, lang=lang, tz=self._settings.tz, style=style)
        else:
            message = render(view, lang=lang, tz=self._settings.tz)
        params: dict[str, Any] = {"text": message.plain if plain else message.text}
        if not plain:
            params["parse_mode"] = "HTML"
        if message.reply_markup is not None:
            params["reply_markup"] = _api_json(message.reply_markup)
        params["link_preview_options"] = _api_json(message.link_preview)
        if not for_edit:
            if message.disable_notification:
                params["disable_notification"] = True
            if self._d.paid_broadcast:
                params["allow_paid_broadcast"] = True
        return params

    async def _send(self, job: Job, chat: int) -> Outcome:
        info = self._alerts.get(job.alert_id)
        if info is None or info.view is None:
            return Outcome(job, status=DeliveryStatus.CANCELLED, error="alert retracted", count_attempt=False)
        view = info.view
        plain = False
        new_chat: int | None = chat if chat != job.chat_id else None
        style = await self._channel_style(job)
        for attempt in range(3):  # at most: original, migrated chat, plain-text fallback
            if attempt:
                await self.pacer.acquire()
                self.chats.record(chat)
            template = self._template(
                (SEND, view, job.lang, plain, style),
                lambda: self._message_params(view, job.lang, plain, for_edit=False, style=style),  # noqa: B023
            )
            if job.reply_to is not None:  # an update replies to the earlier push (gone: sent anyway)
                template = _REPLY.format(int(job.reply_to)) + template
            try:
                result = await self._api.call_with(
                    "sendMessage", template, chat_id=chat, message_thread_id=job.thread_id or None
                )
            except BotApiError as e:
                if e.code == 429 or e.retry_after is not None:
                    return self._flood(job, chat, e, new_chat)
                if e.migrate_to_chat_id is not None:
                    self._migrated[job.chat_id] = new_chat = chat = e.migrate_to_chat_id
                    continue
                text = e.description.lower()
                if e.code == 400 and "can't parse entities" in text and not plain:
                    plain = True
                    continue
                if e.code == 403 or (
                    e.code == 400 and ("chat not found" in text or "need administrator rights" in text)
                ):
                    self._gone.add(chat)
                    return Outcome(job, status=DeliveryStatus.FAILED, error=e.description, gone=True)
                if e.code >= 500:
                    return self._retry(job, e.description, new_chat)
                return Outcome(job, status=DeliveryStatus.FAILED, error=e.description, new_chat_id=new_chat)
            except BotApiUnavailable as e:
                return self._retry(job, str(e), new_chat)
            return Outcome(
                job,
                status=DeliveryStatus.SENT,
                message_id=int(result["message_id"]),
                sent_at=self._clock.now(),
                new_chat_id=new_chat,
            )
        return Outcome(job, status=DeliveryStatus.FAILED, error="gave up after migration/plain-text retries")

    def _flood(self, job: Job, chat: int, error: BotApiError, new_chat: int | None = None) -> Outcome:
        wait = max(1.0, error.retry_after or 1.0)
        self.stats.flood_waits += 1
        metrics.FLOOD_WAITS.inc()
        self.chats.postpone(chat, wait)
        self.pacer.slow_down()
        self.pacer.pause(min(wait, self._d.flood_pause_max_seconds))
        status = DeliveryStatus.PENDING if job.kind == SEND else None
        return Outcome(
            job,
            status=status,
            error=error.description,
            retry_in=wait,
            count_attempt=False,
            new_chat_id=new_chat,
        )

    def _retry(self, job: Job, error: str, new_chat: int | None = None) -> Outcome:
        attempts = job.attempts + 1
        if attempts >= self._d.max_attempts:
            final = f"gave up after {attempts} attempts: {error}"
            if job.kind == EDIT:
                return Outcome(job, edit_state="failed", error=final)
            return Outcome(job, status=DeliveryStatus.FAILED, error=final, new_chat_id=new_chat)
        backoff = min(self._d.max_backoff_seconds, 2.0**attempts)
        status = DeliveryStatus.PENDING if job.kind == SEND else None
        return Outcome(job, status=status, error=error, retry_in=backoff, new_chat_id=new_chat)

    # --- edits and deletes -----------------------------------------------------------------------
    async def _edit(self, job: Job, chat: int) -> Outcome:
        info = self._alerts.get(job.alert_id)
        if info is None or job.message_id is None or info.original is None:
            return Outcome(job, edit_state="failed", error="nothing to edit (no message id or alert)")
        if info.state is AlertState.RETRACTED:
            young = (
                job.sent_at is not None and self._clock.now() - job.sent_at < DELETE_WINDOW - DELETE_SAFETY
            )
            if young:
                try:
                    await self._api.call_with("deleteMessage", "}", chat_id=chat, message_id=job.message_id)
                    return Outcome(job, edit_state="done")
                except BotApiError as e:
                    text = e.description.lower()
                    if "message to delete not found" in text:
                        return Outcome(job, edit_state="done")
                    if "can't be deleted" not in text:
                        return self._edit_failure(job, chat, e)
                except BotApiUnavailable as e:
                    return self._retry(job, str(e))
                await self.pacer.acquire()  # refused (too old for Telegram): edit it instead
                self.chats.record(chat)
            original = info.original

            def build(plain: bool) -> dict[str, Any]:
                return self._retraction_params(original, job.lang, plain)

            key: tuple[Any, ...] = (EDIT, "retracted", original, job.lang)
        elif info.view is not None and info.state is AlertState.CORRECTED:
            view = info.view
            style = await self._channel_style(job)

            def build(plain: bool) -> dict[str, Any]:
                return self._message_params(view, job.lang, plain, for_edit=True, style=style)

            key = (EDIT, "corrected", view, job.lang, style)
        else:
            return Outcome(job, edit_state="done")
        plain = False
        for attempt in range(2):
            if attempt:
                await self.pacer.acquire()
                self.chats.record(chat)
            template = self._template((*key, plain), lambda: build(plain))  # noqa: B023
            try:
                await self._api.call_with(
                    "editMessageText", template, chat_id=chat, message_id=job.message_id
                )
                return Outcome(job, edit_state="done")
            except BotApiError as e:
                text = e.description.lower()
                if "message is not modified" in text:
                    return Outcome(job, edit_state="done")
                if e.code == 400 and "can't parse entities" in text and not plain:
                    plain = True
                    continue
                return self._edit_failure(job, chat, e)
            except BotApiUnavailable as e:
                return self._retry(job, str(e))
        return Outcome(job, edit_state="failed", error="gave up after the plain-text retry")

    def _retraction_params(self, view: AlertView, lang: str, plain: bool) -> dict[str, Any]:
        message = render_retraction(view, lang=lang)
        params: dict[str, Any] = {"text": message.plain if plain else message.text}
        if not plain:
            params["parse_mode"] = "HTML"
        params["link_preview_options"] = _api_json(message.link_preview)
        return params

    def _edit_failure(self, job: Job, chat: int, e: BotApiError) -> Outcome:
        if e.code == 429 or e.retry_after is not None:
            return self._flood(job, chat, e)
        if e.code >= 500:
            return self._retry(job, e.description)
        gone = e.code == 403
        if gone:
            self._gone.add(chat)
        return Outcome(job, edit_state="failed", error=e.description, gone=gone)

    # --- recording -------------------------------------------------------------------------------
    def _emit(self, outcome: Outcome) -> None:
        self._buffer.append(outcome)
        self._has_outcomes.set()
        if len(self._buffer) >= self._d.record_batch_size:
            self._batch_full.set()

    async def _flush_loop(self) -> None:
        size = self._d.record_batch_size
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
                    async with asyncio.timeout(self._d.record_interval_seconds):
                        await self._batch_full.wait()
            batch, self._buffer = self._buffer[:size], self._buffer[size:]
            delay = 0.05
            failures = 0
            while True:
                try:
                    await self._write(batch)
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
        sends = [o for o in batch if o.job.kind == SEND]
        edits = [o for o in batch if o.job.kind == EDIT]
        async with self._sessionmaker() as session, session.begin():
            first = await self._first_pushes(session, sends)
            for outcome in sends:
                if outcome.new_chat_id is not None:
                    await self._migrate_chat(session, outcome.job, outcome.new_chat_id)
            if sends:
                await session.execute(_SEND_UPDATE, [_send_row(o, now) for o in sends])
            if edits:
                await session.execute(_EDIT_UPDATE, [_edit_row(o, now) for o in edits])
            for outcome in batch:
                if outcome.gone:
                    chat = self._migrated.get(outcome.job.chat_id, outcome.job.chat_id)
                    await self._deactivate(session, chat, outcome.error or "recipient gone")
            last = await self._last_pushes(session, batch)
        for alert_id, seconds in first:
            metrics.DETECT_TO_FIRST_PUSH.observe(seconds)
            log.info("alert %s: first push %.1fs after detection", alert_id, seconds)
        for alert_id, seconds in last:
            metrics.DETECT_TO_LAST_PUSH.observe(seconds)
            log.info("alert %s: fan-out finished %.1fs after detection", alert_id, seconds)

    async def _first_pushes(self, session: AsyncSession, sends: list[Outcome]) -> list[tuple[int, float]]:
        earliest: dict[int, datetime] = {}
        for o in sends:
            if (
                o.status is DeliveryStatus.SENT
                and o.sent_at is not None
                and o.job.alert_id not in self._first_checked
            ):
                a = o.job.alert_id
                earliest[a] = min(earliest.get(a, o.sent_at), o.sent_at)
        found: list[tuple[int, float]] = []
        for alert_id, sent_at in earliest.items():
            self._first_checked.add(alert_id)
            already = await session.scalar(
                select(
                    exists().where(
                        Delivery.alert_id == alert_id, Delivery.status == DeliveryStatus.SENT.value
                    )
                )
            )
            info = self._alerts.get(alert_id)
            if not already and info is not None:
                found.append((alert_id, max(0.0, (sent_at - info.detected_at).total_seconds())))
        return found

    async def _last_pushes(self, session: AsyncSession, batch: list[Outcome]) -> list[tuple[int, float]]:
        in_batch: dict[int, int] = {}
        for o in batch:
            in_batch[o.job.alert_id] = in_batch.get(o.job.alert_id, 0) + 1
        candidates: dict[int, datetime] = {}
        for o in batch:
            a = o.job.alert_id
            if o.job.kind != SEND or a in self._last_done or self._queued.get(a, 0) > in_batch[a]:
                continue
            stamp = o.sent_at or self._clock.now()
            candidates[a] = max(candidates.get(a, stamp), stamp)
        found: list[tuple[int, float]] = []
        for alert_id, last in candidates.items():
            busy = await session.scalar(
                select(
                    exists().where(
                        Delivery.alert_id == alert_id,
                        Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]),
                    )
                )
            )
            info = self._alerts.get(alert_id)
            if not busy and info is not None:
                self._last_done.add(alert_id)
                found.append((alert_id, max(0.0, (last - info.detected_at).total_seconds())))
        return found

    def _after_write(self, batch: list[Outcome]) -> None:
        for o in batch:
            if o.holds_slot:
                self._unconfirmed.release()
            a = o.job.alert_id
            left = self._queued.get(a, 0) - 1
            if left > 0:
                self._queued[a] = left
            else:
                self._queued.pop(a, None)
            if o.release:
                continue
            reason = metrics.failure_reason(o.error)
            if o.job.kind == EDIT:
                if o.edit_state == "done":
                    self.stats.edits_done += 1
                elif o.edit_state == "failed":
                    self.stats.edits_failed += 1
                    metrics.SEND_FAILURES.labels(reason).inc()
                elif o.count_attempt:
                    metrics.SEND_RETRIES.labels(reason).inc()
                continue
            if o.status is DeliveryStatus.SENT:
                self.stats.sent += 1
                self.last_send_at = o.sent_at or self._clock.now()
                metrics.SENDS.inc()
            elif o.status is DeliveryStatus.FAILED:
                self.stats.failed += 1
                self.stats.by_reason[o.error or "failed"] = (
                    self.stats.by_reason.get(o.error or "failed", 0) + 1
                )
                metrics.SEND_FAILURES.labels(reason).inc()
            elif o.status is DeliveryStatus.PENDING and o.count_attempt:
                self.stats.retried += 1
                metrics.SEND_RETRIES.labels(reason).inc()

    async def _migrate_chat(self, session: AsyncSession, job: Job, new: int) -> None:
        """A group became a supergroup: move its subscriber/channel rows and queued deliveries.

        Each step runs in a savepoint: if the new chat is already known (the bot saw it as a new chat),
        the old record is retired instead, and a queued delivery that would collide is cancelled.
        """
        old, now = job.chat_id, self._clock.now()
        for model in (Subscriber, Channel):
            try:
                async with session.begin_nested():
                    await session.execute(
                        update(model).where(model.chat_id == old).values(chat_id=new, updated_at=now)
                    )
            except IntegrityError:
                async with session.begin_nested():
                    await session.execute(
                        update(model)
                        .where(model.chat_id == old)
                        .values(active=False, inactive_reason=f"migrated to {new}", updated_at=now)
                    )
        queued = [job.id]
        queued += await session.scalars(
            select(Delivery.id).where(
                Delivery.chat_id == old, Delivery.status == DeliveryStatus.PENDING.value
            )
        )
        for delivery_id in queued:
            try:
                async with session.begin_nested():
                    await session.execute(
                        update(Delivery).where(Delivery.id == delivery_id).values(chat_id=new, updated_at=now)
                    )
            except IntegrityError:
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING.value)
                    .values(
                        status=DeliveryStatus.CANCELLED.value, error=f"chat migrated to {new}", updated_at=now
                    )
                )

    async def _deactivate(self, session: AsyncSession, chat_id: int, reason: str) -> None:
        now = self._clock.now()
        await session.execute(
            update(Subscriber)
            .where(Subscriber.chat_id == chat_id, Subscriber.active.is_(True))
            .values(active=False, inactive_reason=reason, updated_at=now)
        )
        await session.execute(
            update(Channel)
            .where(Channel.chat_id == chat_id, Channel.active.is_(True))
            .values(active=False, inactive_reason=reason, updated_at=now)
        )
        await cancel_pending_for_chat(session, chat_id, reason, self._clock)


# --- batched outcome statements (Core table: a plain executemany, guarded by the lease owner) -------
_C = DELIVERIES.c
_SEND_UPDATE = (
    update(DELIVERIES)
    .where(_C.id == bindparam("b_id"), _C.lease_owner == bindparam("b_owner"))
    .values(
        status=bindparam("b_status", type_=_C.status.type),
        error=bindparam("b_error", type_=_C.error.type),
        attempts=_C.attempts + bindparam("b_inc", type_=Integer),
        next_attempt_at=func.coalesce(bindparam("b_next", type_=_C.next_attempt_at.type), _C.next_attempt_at),
        telegram_message_id=func.coalesce(bindparam("b_mid", type_=BigInteger), _C.telegram_message_id),
        sent_at=func.coalesce(bindparam("b_sent", type_=_C.sent_at.type), _C.sent_at),
        lease_owner=None,
        lease_until=None,
        updated_at=bindparam("b_now", type_=_C.updated_at.type),
    )
)
_EDIT_UPDATE = (
    update(DELIVERIES)
    .where(_C.id == bindparam("b_id"), _C.lease_owner == bindparam("b_owner"))
    .values(
        edit_state=func.coalesce(bindparam("b_edit", type_=_C.edit_state.type), _C.edit_state),
        error=bindparam("b_error", type_=_C.error.type),
        attempts=_C.attempts + bindparam("b_inc", type_=Integer),
        next_attempt_at=func.coalesce(bindparam("b_next", type_=_C.next_attempt_at.type), _C.next_attempt_at),
        lease_owner=None,
        lease_until=None,
        updated_at=bindparam("b_now", type_=_C.updated_at.type),
    )
)


async def _reply_targets(session: AsyncSession, delivery_ids: set[int]) -> dict[int, int]:
    """Message ids of the earlier copies that updates reply to (``deliveries.reply_to_id``); one
    query, and only when a claimed row is an update. Not yet sent (no message id): sent without reply."""
    if not delivery_ids:
        return {}
    rows = await session.execute(
        select(Delivery.id, Delivery.telegram_message_id).where(
            Delivery.id.in_(delivery_ids), Delivery.telegram_message_id.is_not(None)
        )
    )
    return {int(i): int(m) for i, m in rows.all() if m is not None}


def _next(o: Outcome, now: datetime) -> datetime | None:
    return now + timedelta(seconds=o.retry_in) if o.retry_in is not None else None


def _send_row(o: Outcome, now: datetime) -> dict[str, Any]:
    status = o.status or DeliveryStatus.PENDING
    return {
        "b_id": o.job.id,
        "b_owner": o.job.owner,
        "b_status": status.value,
        "b_error": None if status is DeliveryStatus.SENT else o.error,
        "b_inc": 1 if o.count_attempt and not o.release else 0,
        "b_next": _next(o, now),
        "b_mid": o.message_id,
        "b_sent": o.sent_at,
        "b_now": now,
    }


def _edit_row(o: Outcome, now: datetime) -> dict[str, Any]:
    return {
        "b_id": o.job.id,
        "b_owner": o.job.owner,
        "b_edit": o.edit_state,
        "b_error": o.error,
        "b_inc": 1 if o.count_attempt and not o.release and o.edit_state is None else 0,
        "b_next": _next(o, now),
        "b_now": now,
    }


def _edit_alerts(now: datetime) -> Any:
    """Alerts whose copies may need an edit: corrected or retracted in the last 30 days (a few)."""
    return select(Alert.id).where(
        Alert.state.in_([AlertState.CORRECTED.value, AlertState.RETRACTED.value]),
        func.coalesce(Alert.retracted_at, Alert.corrected_at) >= now - EDIT_LOOKBACK,
    )


def _api_json(model: BaseModel) -> Any:
    """An aiogram object as Bot API JSON: no ``None``s and no unresolved ``Default(...)`` sentinels."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None and not isinstance(v, Default)}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean(model.model_dump(exclude_none=True))


_warmed = False


def _warm_up(settings: Settings) -> None:
    """Once per process, before the first send.

    * Render and serialise one message: aiogram's pydantic types finish building on first use (about
      a second of CPU), which must not delay the first push of the first alert.
    * ``gc.collect(); gc.freeze()``: aiogram and SQLAlchemy leave ~200,000 long-lived objects, and every
      full collection walks them all — a ~150 ms stall of the event loop, during which the pacer falls
      behind and then sends in a burst. Frozen objects are never walked again (process-wide; objects
      created later are collected as usual).
    """
    global _warmed
    if not _warmed:
        view = AlertView(alert_id=0, headline="-", urgency=Urgency.URGENT, url="https://t.me", article_id=1)
        message = render_alert(view, lang="ar", tz=settings.tz)
        _api_json(message.link_preview)
        if message.reply_markup is not None:
            _api_json(message.reply_markup)
        gc.collect()
        gc.freeze()
        _warmed = True


def _fields(view: AlertView) -> dict[str, Any]:
    return {name: getattr(view, name) for name in view.__dataclass_fields__}


def _new_owner() -> str:
    return f"sender-{uuid.uuid4().hex[:12]}"


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


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


__all__ = ["Job", "Outcome", "Sender", "SenderStats"]
