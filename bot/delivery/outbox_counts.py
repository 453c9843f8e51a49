"""Counts over the outbox: progress of one alert, per-status tallies, depth, first-push times.

The read side of :mod:`bot.delivery.outbox` (which owns every write). Editors' progress panels, the
CMS API, the history and stats screens and the sender's metrics all count through here, so a status
is counted the same way everywhere (``pending`` in a progress report includes in-flight sends).
Nothing here writes or commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

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


__all__ = [
    "DeliveryProgress",
    "count_for_alert",
    "depth_by_priority",
    "first_pushes_since",
    "has_sent",
    "has_unfinished",
    "progress",
    "status_counts",
    "status_counts_since",
]
