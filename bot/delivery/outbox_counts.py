"""Counts over the outbox: progress of one alert, per-status tallies, depth, first-push times.

The read side of :mod:`bot.delivery.outbox` (which owns every write). Editors' progress panels, the
CMS API, the history and stats screens, the console's chart, the ops notices, the ``/metrics`` gauges
and the sender's metrics all count through here, so a status is counted the same way everywhere
(``pending`` in a progress report includes in-flight sends). Nothing here writes or commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc
from bot.db.models import Alert, Delivery
from bot.delivery.outbox import UNFINISHED_STATUSES
from bot.domain import DeliveryStatus, EditState


@dataclass(frozen=True)
class DeliveryProgress:
    """Where one alert's fan-out and its follow-up edits stand (``pending`` includes in-flight sends)."""

    total: int
    sent: int
    failed: int
    pending: int
    cancelled: int
    edits_pending: int
    edits_done: int
    edits_failed: int
    first_sent_at: datetime | None
    last_sent_at: datetime | None


async def progress(session: AsyncSession, alert_id: int) -> DeliveryProgress:
    """Counts by status and edit state, and the first/last send time, in one query."""
    sent = Delivery.status == DeliveryStatus.SENT.value

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = (
        await session.execute(
            select(
                func.count(Delivery.id),
                count(sent),
                count(Delivery.status == DeliveryStatus.FAILED.value),
                count(Delivery.status.in_(UNFINISHED_STATUSES)),
                count(Delivery.status == DeliveryStatus.CANCELLED.value),
                count(and_(sent, Delivery.edit_state == EditState.PENDING.value)),
                count(and_(sent, Delivery.edit_state == EditState.DONE.value)),
                count(and_(sent, Delivery.edit_state == EditState.FAILED.value)),
                func.min(Delivery.sent_at),
                func.max(Delivery.sent_at),
            ).where(Delivery.alert_id == alert_id)
        )
    ).one()
    return DeliveryProgress(
        total=int(row[0]),
        sent=int(row[1]),
        failed=int(row[2]),
        pending=int(row[3]),
        cancelled=int(row[4]),
        edits_pending=int(row[5]),
        edits_done=int(row[6]),
        edits_failed=int(row[7]),
        first_sent_at=as_utc(row[8]) if row[8] is not None else None,
        last_sent_at=as_utc(row[9]) if row[9] is not None else None,
    )


async def count_for_alert(session: AsyncSession, alert_id: int) -> int:
    """How many deliveries an alert has in the outbox, whatever their state (its recipients)."""
    return int(
        await session.scalar(select(func.count()).select_from(Delivery).where(Delivery.alert_id == alert_id))
        or 0
    )


async def status_counts(session: AsyncSession, alert_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """``{alert id: {status: count}}`` for these alerts (alerts without deliveries are absent)."""
    if not alert_ids:
        return {}
    rows = await session.execute(
        select(Delivery.alert_id, Delivery.status, func.count())
        .where(Delivery.alert_id.in_(list(alert_ids)))
        .group_by(Delivery.alert_id, Delivery.status)
    )
    out: dict[int, dict[str, int]] = {}
    for alert_id, status, count in rows:
        out.setdefault(alert_id, {})[str(status)] = int(count)
    return out


async def status_counts_since(session: AsyncSession, since: datetime) -> dict[str, int]:
    """``{status: count}`` over the deliveries of alerts created since ``since``."""
    rows = await session.execute(
        select(Delivery.status, func.count())
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(Alert.created_at >= since)
        .group_by(Delivery.status)
    )
    return {str(status): int(count) for status, count in rows}


async def first_pushes_since(
    session: AsyncSession, since: datetime, *, limit: int = 1000
) -> list[tuple[datetime, datetime]]:
    """``(detected_at, first sent_at)`` of the newest ``limit`` alerts created since ``since`` that
    reached anyone (both aware UTC)."""
    rows = await session.execute(
        select(Alert.detected_at, func.min(Delivery.sent_at))
        .join(Delivery, Delivery.alert_id == Alert.id)
        .where(Alert.created_at >= since, Delivery.sent_at.is_not(None))
        .group_by(Alert.id, Alert.detected_at)
        .order_by(Alert.id.desc())
        .limit(limit)
    )
    out: list[tuple[datetime, datetime]] = []
    for detected, first in rows:
        if detected is not None and first is not None:
            first_at = first if isinstance(first, datetime) else datetime.fromisoformat(str(first))
            out.append((as_utc(detected), as_utc(first_at)))
    return out


async def depth_by_priority(session: AsyncSession) -> dict[int, int]:
    """Unfinished deliveries (pending or leased) per priority (:attr:`~bot.domain.Urgency.rank`)."""
    rows = await session.execute(
        select(Delivery.priority, func.count())
        .where(Delivery.status.in_(UNFINISHED_STATUSES))
        .group_by(Delivery.priority)
    )
    return {int(priority): int(count) for priority, count in rows.all()}


async def has_sent(session: AsyncSession, alert_id: int) -> bool:
    """Has any copy of the alert been recorded as sent?"""
    return bool(
        await session.scalar(
            select(
                exists().where(Delivery.alert_id == alert_id, Delivery.status == DeliveryStatus.SENT.value)
            )
        )
    )


async def has_unfinished(session: AsyncSession, alert_id: int) -> bool:
    """Is any copy of the alert still queued or leased?"""
    return bool(
        await session.scalar(
            select(exists().where(Delivery.alert_id == alert_id, Delivery.status.in_(UNFINISHED_STATUSES)))
        )
    )


async def followed_alerts_unfinished(session: AsyncSession, since: datetime) -> list[int]:
    """Ids of alerts created since ``since`` that have a status message (an editor follows their
    progress) and still have a copy queued or leased."""
    unfinished = exists().where(and_(Delivery.alert_id == Alert.id, Delivery.status.in_(UNFINISHED_STATUSES)))
    return list(
        await session.scalars(
            select(Alert.id).where(
                Alert.status_message_id.is_not(None), Alert.created_at >= since, unfinished
            )
        )
    )


@dataclass(frozen=True, slots=True)
class FailureTally:
    """One alert's deliveries in all, and how many of them failed."""

    alert_id: int
    total: int
    failed: int


async def failure_tallies_since(
    session: AsyncSession, since: datetime, *, min_failed: int
) -> list[FailureTally]:
    """Alerts created since ``since`` with at least ``min_failed`` failed deliveries."""
    failed = func.sum(case((Delivery.status == DeliveryStatus.FAILED.value, 1), else_=0))
    rows = await session.execute(
        select(Delivery.alert_id, func.count(), failed)
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(Alert.created_at >= since)
        .group_by(Delivery.alert_id)
        .having(failed >= min_failed)
    )
    return [FailureTally(int(alert_id), int(total), int(failures or 0)) for alert_id, total, failures in rows]


async def failure_errors(session: AsyncSession, alert_id: int, *, limit: int = 1000) -> list[str | None]:
    """The recorded errors of (at most ``limit``) an alert's failed deliveries."""
    return list(
        await session.scalars(
            select(Delivery.error)
            .where(Delivery.alert_id == alert_id, Delivery.status == DeliveryStatus.FAILED.value)
            .limit(limit)
        )
    )


async def oldest_due(session: AsyncSession, now: datetime) -> datetime | None:
    """When the longest-waiting pending delivery that is due by ``now`` became due (aware UTC)."""
    oldest = await session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.status == DeliveryStatus.PENDING.value, Delivery.next_attempt_at <= now
        )
    )
    return None if oldest is None else as_utc(oldest)


async def sent_and_failed_per_hour(
    session: AsyncSession, starts: Sequence[datetime]
) -> list[tuple[int, int]]:
    """``(sent, failed)`` in each hour beginning at ``starts`` (ascending), in one aggregate query.

    Sent copies count at ``sent_at``; failed ones at their last update (when they were given up).
    """
    if not starts:
        return []
    since = starts[0]
    sent = Delivery.status == DeliveryStatus.SENT.value
    failed = Delivery.status == DeliveryStatus.FAILED.value

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    columns: list[ColumnElement[int]] = []
    for start in starts:
        end = start + timedelta(hours=1)
        columns.append(count(and_(sent, Delivery.sent_at >= start, Delivery.sent_at < end)))
        columns.append(count(and_(failed, Delivery.updated_at >= start, Delivery.updated_at < end)))
    row = (
        await session.execute(
            select(*columns).where(
                (sent & (Delivery.sent_at >= since)) | (failed & (Delivery.updated_at >= since))
            )
        )
    ).one()
    values = [int(v or 0) for v in row]
    return [(values[2 * i], values[2 * i + 1]) for i in range(len(starts))]


__all__ = [
    "DeliveryProgress",
    "FailureTally",
    "count_for_alert",
    "depth_by_priority",
    "failure_errors",
    "failure_tallies_since",
    "first_pushes_since",
    "followed_alerts_unfinished",
    "has_sent",
    "has_unfinished",
    "oldest_due",
    "progress",
    "sent_and_failed_per_hour",
    "status_counts",
    "status_counts_since",
]
