"""The sender's side of the outbox: claim due rows under a lease, hand them back, record outcomes.

Part of the outbox (:mod:`bot.delivery.outbox` has the module map and the state diagram): every write
the sender makes to ``deliveries`` is here. Why the claim is safe with several senders:

* A claim is ``UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED) RETURNING …``: row locks
  make concurrent claims disjoint (SQLite: its single writer lock serialises them), and the lease
  (``lease_owner``, ``lease_until``) keeps a claimed row out of every other claim until its outcome is
  written — or until the lease runs out, or its owner is known dead (:func:`release_leases`).
* Every outcome write is guarded by ``lease_owner = <the claimer>``: a sender never overwrites a row it
  no longer owns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc
from bot.db.models import Alert, Channel, Delivery, Subscriber
from bot.delivery.outbox import COLUMNS, DELIVERIES, deactivate_chat, migrate_chat
from bot.domain import AlertState, DeliveryStatus, EditState, Urgency

EDIT_LOOKBACK = timedelta(days=30)
"""Only copies of alerts corrected or retracted this recently are edited."""


class JobKind(StrEnum):
    """What a claimed row asks of the sender."""

    SEND = "send"  # a pending delivery: send it
    EDIT = "edit"  # a sent copy with ``edit_state='pending'``: edit (or delete) it


# --- claiming ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claimed:
    """One leased row: a send, or an edit/delete of a sent copy."""

    kind: JobKind
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
    language: str | None = None  # the subscriber's (channels: None)
    message_id: int | None = None  # the sent copy's (edits)
    sent_at: datetime | None = None
    signature: str | None = None  # a channel's signature line (channel rows only)
    due: float = 0.0  # next_attempt_at when claimed (epoch seconds): the longest due goes first
    reply_to: int | None = None  # message id of the earlier push this one replies to (an update)


def edited_alerts(now: datetime) -> Select[Any]:
    """Alerts whose copies may need an edit: corrected or retracted in the last 30 days (a few)."""
    return select(Alert.id).where(
        Alert.state.in_([AlertState.CORRECTED.value, AlertState.RETRACTED.value]),
        func.coalesce(Alert.retracted_at, Alert.corrected_at) >= now - EDIT_LOOKBACK,
    )


_CLAIMED_COLUMNS = (
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
    select(Channel.signature).where(Channel.id == Delivery.channel_id).scalar_subquery().label("signature"),
)


def _pick(limit: int, *where: Any, order: tuple[Any, ...]) -> Any:
    return Delivery.id.in_(
        select(Delivery.id).where(*where).order_by(*order).limit(limit).with_for_update(skip_locked=True)
    )


async def claim(
    session: AsyncSession, *, owner: str, room: int, now: datetime, lease_seconds: float
) -> list[Claimed]:
    """Lease up to ``room`` due rows for ``owner``: pending edits first, then sends by priority.

    Within a priority the oldest due goes first; rows whose lease ran out (a sender died where no
    liveness lock could be probed) come last. Each step is one ``UPDATE … RETURNING`` whose SQL never
    changes shape (no variable-length ``IN`` lists), so drivers' prepared-statement caches stay small;
    the subscriber's language and the channel's signature come back in the same statement.
    """
    if room <= 0:
        return []
    lease_until = now + timedelta(seconds=lease_seconds)
    lease = {"lease_owner": owner, "lease_until": lease_until, "updated_at": now}
    rows: list[tuple[JobKind, Any]] = []
    edits = await session.execute(
        update(Delivery)
        .where(
            _pick(
                room,
                Delivery.alert_id.in_(edited_alerts(now)),
                Delivery.status == DeliveryStatus.SENT.value,
                Delivery.edit_state == EditState.PENDING.value,
                Delivery.next_attempt_at <= now,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
                order=(Delivery.id,),
            )
        )
        .values(**lease)
        .returning(*_CLAIMED_COLUMNS)
    )
    rows += [(JobKind.EDIT, row) for row in edits.all()]
    steps: list[tuple[Any, ...]] = [
        (
            Delivery.status == DeliveryStatus.PENDING.value,
            Delivery.priority == urgency.rank,
            Delivery.next_attempt_at <= now,
        )
        for urgency in sorted(Urgency, key=lambda u: u.rank, reverse=True)
    ]
    steps.append((Delivery.status == DeliveryStatus.SENDING.value, Delivery.lease_until < now))
    for index, where in enumerate(steps):
        left = room - len(rows)
        if left <= 0:
            break
        expired = index == len(steps) - 1
        order = (
            (Delivery.priority.desc(), Delivery.id) if expired else (Delivery.next_attempt_at, Delivery.id)
        )
        sends = await session.execute(
            update(Delivery)
            .where(_pick(left, *where, order=order))
            .values(status=DeliveryStatus.SENDING.value, **lease)
            .returning(*_CLAIMED_COLUMNS)
        )
        rows += [(JobKind.SEND, row) for row in sends.all()]
    if not rows:
        return []
    replies = await _reply_targets(session, {row.reply_to_id for _, row in rows if row.reply_to_id})
    return [
        Claimed(
            kind=kind,
            id=row.id,
            alert_id=row.alert_id,
            chat_id=row.chat_id,
            thread_id=row.thread_id,
            subscriber_id=row.subscriber_id,
            channel_id=row.channel_id,
            attempts=row.attempts,
            priority=row.priority,
            owner=owner,
            lease_until=lease_until,
            language=row.language,
            message_id=row.telegram_message_id,
            sent_at=as_utc(row.sent_at) if row.sent_at is not None else None,
            signature=row.signature,
            due=as_utc(row.next_attempt_at).timestamp(),
            reply_to=replies.get(row.reply_to_id) if row.reply_to_id else None,
        )
        for kind, row in rows
    ]


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


async def lease_owners(session: AsyncSession, *, now: datetime, besides: str) -> set[str]:
    """Owners (other than ``besides``) of leases still running: sends, and edits of sent copies."""
    owners = set(
        await session.scalars(
            select(Delivery.lease_owner)
            .where(
                Delivery.status == DeliveryStatus.SENDING.value,
                Delivery.lease_until >= now,
                Delivery.lease_owner != besides,
            )
            .distinct()
        )
    )
    owners |= set(
        await session.scalars(
            select(Delivery.lease_owner)
            .where(
                Delivery.alert_id.in_(edited_alerts(now)),
                Delivery.status == DeliveryStatus.SENT.value,
                Delivery.lease_until >= now,
                Delivery.lease_owner != besides,
            )
            .distinct()
        )
    )
    return {owner for owner in owners if owner}


async def release_leases(session: AsyncSession, owners: Sequence[str], now: datetime) -> int:
    """Hand back every row leased by ``owners`` (known dead): sends return to pending; returns how many."""
    result = await session.execute(
        update(DELIVERIES)
        .where(COLUMNS.lease_owner.in_(list(owners)))
        .values(
            status=case(
                (COLUMNS.status == DeliveryStatus.SENDING.value, DeliveryStatus.PENDING.value),
                else_=COLUMNS.status,
            ),
            lease_owner=None,
            lease_until=None,
            updated_at=now,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- outcomes ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a claimed row, as the outbox stores it.

    Sends set ``status``; edits set ``edit_state`` (``None`` keeps it pending: a retry or a release).
    ``retry_at`` moves ``next_attempt_at``; ``count_attempt`` adds one to ``attempts`` (never for a
    release or a final edit state). ``new_chat_id`` moves the chat's queue to a migrated group first;
    ``gone_chat`` deactivates a recipient that is gone and cancels its queue.
    """

    job: Claimed
    status: DeliveryStatus | None = None
    edit_state: EditState | None = None
    message_id: int | None = None
    sent_at: datetime | None = None
    error: str | None = None
    retry_at: datetime | None = None
    count_attempt: bool = True
    release: bool = False  # handed back unsent (stop, lease nearly over, chat busy): not a retry
    new_chat_id: int | None = None
    gone_chat: int | None = None


_SEND_UPDATE = (
    update(DELIVERIES)
    .where(COLUMNS.id == bindparam("b_id"), COLUMNS.lease_owner == bindparam("b_owner"))
    .values(
        status=bindparam("b_status", type_=COLUMNS.status.type),
        error=bindparam("b_error", type_=COLUMNS.error.type),
        attempts=COLUMNS.attempts + bindparam("b_inc", type_=Integer),
        next_attempt_at=func.coalesce(
            bindparam("b_next", type_=COLUMNS.next_attempt_at.type), COLUMNS.next_attempt_at
        ),
        telegram_message_id=func.coalesce(bindparam("b_mid", type_=BigInteger), COLUMNS.telegram_message_id),
        sent_at=func.coalesce(bindparam("b_sent", type_=COLUMNS.sent_at.type), COLUMNS.sent_at),
        lease_owner=None,
        lease_until=None,
        updated_at=bindparam("b_now", type_=COLUMNS.updated_at.type),
    )
)
_EDIT_UPDATE = (
    update(DELIVERIES)
    .where(COLUMNS.id == bindparam("b_id"), COLUMNS.lease_owner == bindparam("b_owner"))
    .values(
        edit_state=func.coalesce(bindparam("b_edit", type_=COLUMNS.edit_state.type), COLUMNS.edit_state),
        error=bindparam("b_error", type_=COLUMNS.error.type),
        attempts=COLUMNS.attempts + bindparam("b_inc", type_=Integer),
        next_attempt_at=func.coalesce(
            bindparam("b_next", type_=COLUMNS.next_attempt_at.type), COLUMNS.next_attempt_at
        ),
        lease_owner=None,
        lease_until=None,
        updated_at=bindparam("b_now", type_=COLUMNS.updated_at.type),
    )
)
"""Batched outcome statements (Core table: one executemany each), guarded by the lease owner."""


async def record(session: AsyncSession, outcomes: Iterable[Outcome], now: datetime) -> None:
    """Store a batch of outcomes: migrations first, then one executemany per kind, then gone chats."""
    batch = list(outcomes)
    sends = [o for o in batch if o.job.kind is JobKind.SEND]
    edits = [o for o in batch if o.job.kind is JobKind.EDIT]
    for outcome in sends:
        if outcome.new_chat_id is not None:
            await migrate_chat(session, outcome.job.id, outcome.job.chat_id, outcome.new_chat_id, now)
    if sends:
        await session.execute(_SEND_UPDATE, [_send_row(o, now) for o in sends])
    if edits:
        await session.execute(_EDIT_UPDATE, [_edit_row(o, now) for o in edits])
    for outcome in batch:
        if outcome.gone_chat is not None:
            await deactivate_chat(session, outcome.gone_chat, outcome.error or "recipient gone", now)


def _send_row(o: Outcome, now: datetime) -> dict[str, Any]:
    status = o.status or DeliveryStatus.PENDING
    return {
        "b_id": o.job.id,
        "b_owner": o.job.owner,
        "b_status": status.value,
        "b_error": None if status is DeliveryStatus.SENT else o.error,
        "b_inc": 1 if o.count_attempt and not o.release else 0,
        "b_next": o.retry_at,
        "b_mid": o.message_id,
        "b_sent": o.sent_at,
        "b_now": now,
    }


def _edit_row(o: Outcome, now: datetime) -> dict[str, Any]:
    return {
        "b_id": o.job.id,
        "b_owner": o.job.owner,
        "b_edit": o.edit_state.value if o.edit_state is not None else None,
        "b_error": o.error,
        "b_inc": 1 if o.count_attempt and not o.release and o.edit_state is None else 0,
        "b_next": o.retry_at,
        "b_now": now,
    }


__all__ = [
    "EDIT_LOOKBACK",
    "Claimed",
    "JobKind",
    "Outcome",
    "claim",
    "edited_alerts",
    "lease_owners",
    "record",
    "release_leases",
]
