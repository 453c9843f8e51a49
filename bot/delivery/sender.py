"""The sender: drains the outbox into Telegram at the allowed rate, losing nothing.

Design and invariants:

* The outbox is the ``deliveries`` table. A sender *claims* due rows by leasing them
  (``status='sending'``, ``lease_owner``, ``lease_until``) in one statement that uses
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two instances never claim the same row; on SQLite the
  single writer lock gives the same guarantee. A lease that expires (the process died) makes the row
  due again.
* A row is marked ``sent`` (with Telegram's message id) right after Telegram accepts it. The only
  messages that can be sent twice are those accepted by Telegram but not yet recorded when the process
  was killed: at most ``concurrency`` messages per sender instance.
* Drain order: priority (flash > urgent > normal), then age.
* Limits: one global :class:`~bot.delivery.limiter.Pacer` and per-chat/group
  :class:`~bot.delivery.limiter.ChatLimits`. A chat that is not free yet does not block the others: its
  delivery is put back with ``next_attempt_at`` set to when it will be free.
* Errors (aiogram's exception types): 429 → rescheduled after ``retry_after`` and the global pace
  slows; 403 → the chat is deactivated and its pending deliveries cancelled; migrated group → the chat
  id is updated everywhere and the message re-sent to the new id; "can't parse entities" → re-sent as
  plain text; 5xx / network → retried with exponential backoff up to ``max_attempts``; every final
  failure is stored with its reason. One failing delivery never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, as_utc
from bot.config import Settings
from bot.db.models import Alert, Channel, Delivery, Subscriber, Topic, alert_topics
from bot.delivery.limiter import ChatLimits, Pacer
from bot.delivery.render import AlertView, RenderedMessage, render_alert
from bot.domain import AlertState, DeliveryStatus, Urgency
from bot.services.alerts import cancel_pending_for_chat

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    alert_id: int
    chat_id: int
    thread_id: int
    subscriber_id: int | None
    channel_id: int | None
    attempts: int


@dataclass(slots=True)
class Outcome:
    status: DeliveryStatus
    message_id: int | None = None
    error: str | None = None
    retry_in: float | None = None
    count_attempt: bool = True
    gone: bool = False
    new_chat_id: int | None = None


@dataclass
class SenderStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    flood_waits: int = 0
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
    ) -> None:
        self._sessionmaker = sessionmaker
        self._bot = bot
        self._settings = settings
        self._delivery = settings.delivery
        self._clock = clock
        self.owner = owner or f"sender-{uuid.uuid4().hex[:12]}"
        rate = (
            self._delivery.paid_broadcast_rate
            if self._delivery.paid_broadcast
            else self._delivery.global_rate
        )
        self.pacer = Pacer(rate, clock)
        self.chats = ChatLimits(
            clock,
            per_chat_interval=self._delivery.per_chat_interval_seconds,
            group_per_minute=self._delivery.group_per_minute,
        )
        self.stats = SenderStats()
        self._wake = asyncio.Event()
        self._views: dict[int, AlertView | None] = {}

    def wake(self) -> None:
        """Called after an alert's deliveries are committed: start draining now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Drain until ``stop`` is set; sleeps until woken (or 1 s) when nothing is due."""
        while not stop.is_set():
            try:
                handled = await self.drain_once()
            except Exception:
                log.exception("sender pass failed; retrying in 1s")
                handled = 0
            if handled == 0:
                self._wake.clear()
                waiter = asyncio.create_task(self._wake.wait())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({waiter, stopper}, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()

    def _claim_size(self) -> int:
        # claim no more than we can send well inside the lease
        by_lease = int(self.pacer.rate * self._delivery.lease_seconds / 4)
        return max(1, min(self._delivery.batch_size, by_lease))

    async def _claim(self) -> list[Claimed]:
        now = self._clock.now()
        due = or_(
            and_(Delivery.status == DeliveryStatus.PENDING.value, Delivery.next_attempt_at <= now),
            and_(Delivery.status == DeliveryStatus.SENDING.value, Delivery.lease_until < now),
        )
        picked = (
            select(Delivery.id)
            .where(due)
            .order_by(Delivery.priority.desc(), Delivery.created_at, Delivery.id)
            .limit(self._claim_size())
            .with_for_update(skip_locked=True)
        )
        async with self._sessionmaker() as session, session.begin():
            ids = list(await session.scalars(picked))
            if not ids:
                return []
            rows = await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(
                    status=DeliveryStatus.SENDING.value,
                    lease_owner=self.owner,
                    lease_until=now + timedelta(seconds=self._delivery.lease_seconds),
                    updated_at=now,
                )
                .returning(
                    Delivery.id,
                    Delivery.alert_id,
                    Delivery.chat_id,
                    Delivery.thread_id,
                    Delivery.subscriber_id,
                    Delivery.channel_id,
                    Delivery.attempts,
                    Delivery.priority,
                )
            )
            claimed = sorted(rows.all(), key=lambda r: (-r.priority, r.id))
        return [
            Claimed(r.id, r.alert_id, r.chat_id, r.thread_id, r.subscriber_id, r.channel_id, r.attempts)
            for r in claimed
        ]

    async def drain_once(self) -> int:
        """Claim one batch and deliver it; returns how many rows were handled."""
        claimed = await self._claim()
        if not claimed:
            return 0
        languages = await self._languages(claimed)
        for alert_id in {c.alert_id for c in claimed}:
            if alert_id not in self._views:
                self._views[alert_id] = await self._load_view(alert_id)
        limit = asyncio.Semaphore(self._delivery.concurrency)

        async def one(item: Claimed) -> None:
            async with limit:
                view = self._views.get(item.alert_id)
                if view is None:
                    outcome = Outcome(DeliveryStatus.CANCELLED, error="alert retracted or missing")
                else:
                    lang = languages.get(item.subscriber_id or 0, self._settings.default_language)
                    outcome = await self._deliver(item, view, lang)
                try:
                    await self._record(item, outcome)
                except Exception:
                    log.exception(
                        "could not record delivery %s; its lease will expire and it is retried", item.id
                    )

        await asyncio.gather(*(one(item) for item in claimed))
        return len(claimed)

    async def _languages(self, claimed: list[Claimed]) -> dict[int, str]:
        ids = {c.subscriber_id for c in claimed if c.subscriber_id is not None}
        if not ids:
            return {}
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(Subscriber.id, Subscriber.language).where(Subscriber.id.in_(ids))
            )
            return {row.id: row.language for row in rows}

    async def _load_view(self, alert_id: int) -> AlertView | None:
        async with self._sessionmaker() as session:
            alert = await session.get(Alert, alert_id)
            if alert is None or alert.state == AlertState.RETRACTED.value:
                return None
            names = (
                await session.execute(
                    select(Topic.name_ar, Topic.name_en)
                    .join(alert_topics, alert_topics.c.topic_id == Topic.id)
                    .where(alert_topics.c.alert_id == alert_id)
                    .order_by(Topic.id)
                )
            ).all()
            when = alert.published_at or alert.detected_at
            return AlertView(
                alert_id=alert.id,
                headline=alert.headline,
                urgency=Urgency(alert.urgency),
                topic_names=tuple((n.name_ar, n.name_en) for n in names),
                source_name=alert.source_name,
                when=as_utc(when) if when else None,
                url=alert.url,
                article_id=alert.article_id,
                body=alert.body,
            )

    def _render(self, view: AlertView, lang: str) -> RenderedMessage:
        return render_alert(view, lang=lang, tz=self._settings.tz)

    async def _deliver(self, item: Claimed, view: AlertView, lang: str) -> Outcome:
        wait = self.chats.wait_for(item.chat_id)
        if wait > 0:
            return Outcome(DeliveryStatus.PENDING, retry_in=wait, count_attempt=False)
        message = self._render(view, lang)
        chat_id = item.chat_id
        plain = False
        new_chat: int | None = None
        for _ in range(3):  # at most: original, migrated chat, plain-text fallback
            await self.pacer.acquire()
            self.chats.record(chat_id)
            try:
                sent = await self._bot.send_message(
                    chat_id=chat_id,
                    text=message.plain if plain else message.text,
                    parse_mode=None if plain else "HTML",
                    reply_markup=message.reply_markup,
                    disable_notification=message.disable_notification,
                    link_preview_options=message.link_preview,
                    message_thread_id=item.thread_id or None,
                    allow_paid_broadcast=True if self._delivery.paid_broadcast else None,
                )
                return Outcome(DeliveryStatus.SENT, message_id=sent.message_id, new_chat_id=new_chat)
            except TelegramRetryAfter as e:
                self.stats.flood_waits += 1
                self.pacer.pause(e.retry_after)
                self.pacer.slow_down()
                self.chats.postpone(chat_id, e.retry_after)
                return Outcome(
                    DeliveryStatus.PENDING,
                    error=e.message,
                    retry_in=e.retry_after,
                    count_attempt=False,
                    new_chat_id=new_chat,
                )
            except TelegramMigrateToChat as e:
                new_chat = chat_id = e.migrate_to_chat_id
                continue
            except TelegramForbiddenError as e:
                return Outcome(DeliveryStatus.FAILED, error=e.message, gone=True)
            except TelegramBadRequest as e:
                text = e.message.lower()
                if "can't parse entities" in text and not plain:
                    plain = True
                    continue
                if "chat not found" in text or "need administrator rights" in text:
                    return Outcome(DeliveryStatus.FAILED, error=e.message, gone=True)
                return Outcome(DeliveryStatus.FAILED, error=e.message, new_chat_id=new_chat)
            except (TelegramServerError, TelegramNetworkError) as e:
                return self._retry_later(item, str(e), new_chat)
            except Exception as e:  # an unexpected bug must not lose the message
                log.exception("unexpected error sending delivery %s", item.id)
                return self._retry_later(item, f"{type(e).__name__}: {e}", new_chat)
        return Outcome(DeliveryStatus.FAILED, error="gave up after migration/plain-text retries")

    def _retry_later(self, item: Claimed, error: str, new_chat: int | None) -> Outcome:
        if item.attempts + 1 >= self._delivery.max_attempts:
            return Outcome(
                DeliveryStatus.FAILED, error=f"gave up after {item.attempts + 1} attempts: {error}"
            )
        backoff = min(300.0, 2.0 ** (item.attempts + 1))
        return Outcome(DeliveryStatus.PENDING, error=error, retry_in=backoff, new_chat_id=new_chat)

    async def _record(self, item: Claimed, outcome: Outcome) -> None:
        now = self._clock.now()
        values: dict[str, Any] = {
            "status": outcome.status.value,
            "lease_owner": None,
            "lease_until": None,
            "updated_at": now,
            "error": outcome.error,
        }
        if outcome.count_attempt:
            values["attempts"] = Delivery.attempts + 1
        if outcome.message_id is not None:
            values["telegram_message_id"] = outcome.message_id
            values["sent_at"] = now
        if outcome.retry_in is not None:
            values["next_attempt_at"] = now + timedelta(seconds=outcome.retry_in)
        reason = "sent" if outcome.status is DeliveryStatus.SENT else (outcome.error or outcome.status.value)
        async with self._sessionmaker() as session, session.begin():
            if outcome.new_chat_id is not None:
                await self._migrate_chat(session, item.chat_id, outcome.new_chat_id)
                values["chat_id"] = outcome.new_chat_id
            await session.execute(
                update(Delivery)
                .where(Delivery.id == item.id, Delivery.lease_owner == self.owner)
                .values(**values)
            )
            if outcome.gone:
                await self._deactivate(session, item, outcome.error or "gone")
        if outcome.status is DeliveryStatus.SENT:
            self.stats.sent += 1
        elif outcome.status is DeliveryStatus.FAILED:
            self.stats.failed += 1
            self.stats.by_reason[reason] = self.stats.by_reason.get(reason, 0) + 1
        elif outcome.count_attempt:
            self.stats.retried += 1

    async def _migrate_chat(self, session: AsyncSession, old: int, new: int) -> None:
        await session.execute(update(Subscriber).where(Subscriber.chat_id == old).values(chat_id=new))
        await session.execute(update(Channel).where(Channel.chat_id == old).values(chat_id=new))

    async def _deactivate(self, session: AsyncSession, item: Claimed, reason: str) -> None:
        now = self._clock.now()
        await session.execute(
            update(Subscriber)
            .where(Subscriber.chat_id == item.chat_id)
            .values(active=False, inactive_reason=reason, updated_at=now)
        )
        await session.execute(
            update(Channel)
            .where(Channel.chat_id == item.chat_id)
            .values(active=False, inactive_reason=reason, updated_at=now)
        )
        await cancel_pending_for_chat(session, item.chat_id, reason, self._clock)
