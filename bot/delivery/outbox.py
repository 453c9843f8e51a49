"""The outbox: every change to a ``deliveries`` row goes through here or :mod:`bot.delivery.leases`.

One owner for the delivery state machine, so its rules are read in one place::

    (planned) ──insert_planned / insert_one──▶ pending ──claim──▶ sending ──record──▶ sent
                                                 ▲  │                │  └──record──▶ failed
                          record (retry/release) │  └─cancel_*──▶ cancelled
                                                 └── release_leases (dead owner) / lease expiry

    sent ──mark_for_edit──▶ edit_state pending ──claim (edit)──▶ record ──▶ edit_state done | failed

The outbox is three modules: this one (planning inserts, cancelling, marking for edit, a chat that is
gone or migrated, forgetting a chat — what services and the recording of outcomes call),
:mod:`bot.delivery.leases` (the sender's claim, lease hand-back and outcome recording) and
:mod:`bot.delivery.outbox_counts` (every count: progress, tallies, depth). Services decide *who* gets an
alert (the audience query, :mod:`bot.services.alerts`) and *when* to correct or forget; the sender
decides *what became* of a request (:mod:`bot.delivery.outcome`). ``bot.delivery`` imports nothing
from ``bot.services``.

Invariants
    * Planning is ``INSERT … ON CONFLICT DO NOTHING`` on the unique key (alert, chat, thread): planning
      twice, or concurrently, never plans a recipient twice.
    * A row leased by a live sender is never cancelled or moved under it: cancelling touches pending
      rows (and for a gone chat, leases that ran out); marking for edit keeps an in-flight send's lease.
    * Marking a copy for edit clears any edit lease and attempt count, so an edit of an earlier
      correction still in flight cannot mark the newer one done.
    * Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    Table,
    and_,
    case,
    delete,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Channel, Delivery, Subscriber
from bot.db.upsert import insert_ignore, insert_ignore_from_select
from bot.domain import DeliveryStatus, EditState, Urgency

DELIVERIES: Table = Delivery.__table__  # type: ignore[assignment]
COLUMNS = DELIVERIES.c

LIVE_STATUSES = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value, DeliveryStatus.SENT.value)
"""Delivery states in which a chat has (or will have) the message."""
UNFINISHED_STATUSES = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)
"""Not settled yet: queued, or leased by a sender right now."""


# --- planning ---------------------------------------------------------------------------------------

PLAN_COLUMNS = (
    "chat_id",
    "thread_id",
    "subscriber_id",
    "channel_id",
    "alert_id",
    "priority",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "updated_at",
)
"""The recipient query gives the first four; :func:`insert_planned` adds the rest."""


def timestamp(moment: datetime) -> Any:
    """A timestamp literal in the storage type of the outbox's time columns (for SQL arithmetic)."""
    return literal(moment, COLUMNS.next_attempt_at.type)


async def insert_planned(
    session: AsyncSession,
    recipients: Select[Any],
    *,
    alert_id: int,
    urgency: Urgency,
    now: datetime,
    next_attempt: Any = None,
    reply_to: Any = None,
) -> int:
    """Queue one pending delivery per row of ``recipients``; returns how many were new.

    ``recipients`` selects ``(chat_id, thread_id, subscriber_id, channel_id)`` — the audience, which
    the caller owns. ``next_attempt`` (an SQL expression, default ``now``) defers rows (quiet hours);
    ``reply_to`` (a column of the recipient query) fills ``reply_to_id`` for updates of a story.
    """
    query = recipients.add_columns(
        literal(alert_id, Integer),
        literal(urgency.rank, Integer),
        literal(DeliveryStatus.PENDING.value),
        literal(0, Integer),
        timestamp(now) if next_attempt is None else next_attempt,
        timestamp(now),
        timestamp(now),
    )
    columns: tuple[str, ...] = PLAN_COLUMNS
    if reply_to is not None:
        query = query.add_columns(reply_to)
        columns = (*columns, "reply_to_id")
    return await insert_ignore_from_select(session, DELIVERIES, columns, query)


async def insert_one(
    session: AsyncSession,
    *,
    alert_id: int,
    chat_id: int,
    thread_id: int,
    subscriber_id: int | None,
    channel_id: int | None,
    urgency: Urgency,
    now: datetime,
) -> int:
    """Queue one pending delivery (a digest, a channel's feed post); 0 if that chat already has it."""
    row = {
        "alert_id": alert_id,
        "chat_id": chat_id,
        "thread_id": thread_id,
        "subscriber_id": subscriber_id,
        "channel_id": channel_id,
        "priority": urgency.rank,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }
    return await insert_ignore(session, DELIVERIES, [row])


# --- chats and corrections ------------------------------------------------------------------------


async def migrate_chat(session: AsyncSession, delivery_id: int, old: int, new: int, now: datetime) -> None:
    """A group became a supergroup: move its subscriber/channel rows, the delivery ``delivery_id``
    (being sent to it) and its queued deliveries from ``old`` to ``new``.

    Each step runs in a savepoint: if the new chat is already known (the bot saw it as a new chat),
    the old record is retired instead, and a queued delivery that would collide is cancelled.
    """
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
    queued = [delivery_id]
    queued += await session.scalars(
        select(Delivery.id).where(Delivery.chat_id == old, Delivery.status == DeliveryStatus.PENDING.value)
    )
    for queued_id in queued:
        try:
            async with session.begin_nested():
                await session.execute(
                    update(Delivery).where(Delivery.id == queued_id).values(chat_id=new, updated_at=now)
                )
        except IntegrityError:
            await session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING.value)
                .values(
                    status=DeliveryStatus.CANCELLED.value, error=f"chat migrated to {new}", updated_at=now
                )
            )


async def deactivate_chat(session: AsyncSession, chat_id: int, reason: str, now: datetime) -> None:
    """The recipient is gone (blocked the bot, kicked it …): deactivate it and cancel its queue."""
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
    await _cancel_pending_for_chat(session, chat_id, reason, now)


async def cancel_pending_for_chat(session: AsyncSession, chat_id: int, reason: str, clock: Clock) -> int:
    """Cancel everything still queued for a chat that is gone (blocked the bot, kicked it, paused …).

    A row leased by a sender whose lease ran out counts as queued; a live lease is left to its sender.
    """
    return await _cancel_pending_for_chat(session, chat_id, reason, clock.now())


async def _cancel_pending_for_chat(session: AsyncSession, chat_id: int, reason: str, now: datetime) -> int:
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.chat_id == chat_id,
            or_(
                Delivery.status == DeliveryStatus.PENDING.value,
                and_(Delivery.status == DeliveryStatus.SENDING.value, Delivery.lease_until < now),
            ),
        )
        .values(status=DeliveryStatus.CANCELLED.value, error=reason, updated_at=now)
    )
    return _rowcount(result)


async def cancel_pending_for_alert(session: AsyncSession, alert_id: int, reason: str, now: datetime) -> int:
    """Cancel every copy of an alert not yet sent (a retraction); in-flight ones are left to the sender."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.alert_id == alert_id, Delivery.status == DeliveryStatus.PENDING.value)
        .values(status=DeliveryStatus.CANCELLED.value, error=reason, updated_at=now)
    )
    return _rowcount(result)


async def mark_for_edit(session: AsyncSession, alert_id: int, now: datetime) -> int:
    """``edit_state='pending'`` on sent copies (lease and attempts reset) and on in-flight ones.

    One statement on purpose: with two (one for ``sent``, one for ``sending``), a copy whose send is
    recorded between them is matched by neither — on PostgreSQL the second UPDATE waits for the
    sender's row lock, re-checks ``status='sending'`` on the committed row, finds ``sent`` and skips
    it — and that copy would never be corrected. ``status IN (sent, sending)`` matches it either way.
    An in-flight copy keeps its lease: the sender that holds it records the send outcome, and once
    recorded as sent it is edited like the others. Returns how many copies were marked.
    """
    is_sent = Delivery.status == DeliveryStatus.SENT.value
    marked = await session.execute(
        update(Delivery)
        .where(
            Delivery.alert_id == alert_id,
            Delivery.status.in_([DeliveryStatus.SENT.value, DeliveryStatus.SENDING.value]),
        )
        .values(
            edit_state=EditState.PENDING.value,
            next_attempt_at=case((is_sent, now), else_=Delivery.next_attempt_at),
            attempts=case((is_sent, 0), else_=Delivery.attempts),
            lease_owner=case((is_sent, None), else_=Delivery.lease_owner),
            lease_until=case((is_sent, None), else_=Delivery.lease_until),
            error=case((is_sent, None), else_=Delivery.error),
            updated_at=now,
        )
    )
    return _rowcount(marked)


def alerts_delivered_to(chat_id: int) -> Select[Any]:
    """Ids of the alerts with a delivery to ``chat_id`` (a sub-select, e.g. its digests to forget)."""
    return select(Delivery.alert_id).where(Delivery.chat_id == chat_id)


async def delete_for_chat(session: AsyncSession, chat_id: int) -> None:
    """Forget every delivery to ``chat_id`` (the chat asked to be forgotten)."""
    await session.execute(delete(Delivery).where(Delivery.chat_id == chat_id))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = [
    "COLUMNS",
    "DELIVERIES",
    "LIVE_STATUSES",
    "PLAN_COLUMNS",
    "UNFINISHED_STATUSES",
    "alerts_delivered_to",
    "cancel_pending_for_alert",
    "cancel_pending_for_chat",
    "deactivate_chat",
    "delete_for_chat",
    "insert_one",
    "insert_planned",
    "mark_for_edit",
    "migrate_chat",
    "timestamp",
]
