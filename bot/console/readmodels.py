"""Console-only read models: channels with their topics, and deliveries per hour over the last day.

Everything else the console shows comes from the services the Telegram flow uses
(:mod:`bot.services.editor_alerts` history/stats/audience, :mod:`bot.services.sources`).
Queries are bounded (channels: at most :data:`MAX_CHANNELS`; the chart: one aggregate query).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, as_utc
from bot.db.models import Channel, Delivery
from bot.domain import DeliveryStatus

MAX_CHANNELS = 500
HOURS = 24


@dataclass(frozen=True, slots=True)
class ChannelRow:
    id: int
    chat_id: int
    thread_id: int
    title: str | None
    active: bool
    inactive_reason: str | None
    topics: tuple[tuple[str, str], ...]  # (Arabic, English) names


@dataclass(frozen=True, slots=True)
class HourBucket:
    start: datetime
    sent: int
    failed: int


async def channels(session: AsyncSession) -> list[ChannelRow]:
    rows = await session.scalars(select(Channel).order_by(Channel.id).limit(MAX_CHANNELS))
    return [
        ChannelRow(
            id=row.id,
            chat_id=row.chat_id,
            thread_id=row.thread_id,
            title=row.title,
            active=row.active,
            inactive_reason=row.inactive_reason,
            topics=tuple((topic.name_ar, topic.name_en) for topic in sorted(row.topics, key=lambda t: t.id)),
        )
        for row in rows
    ]


async def deliveries_per_hour(session: AsyncSession, clock: Clock, *, hours: int = HOURS) -> list[HourBucket]:
    """Sent and failed deliveries in each of the last ``hours`` hours (oldest first), in one query.

    Sent copies count at ``sent_at``; failed ones at their last update (when they were given up).
    """
    now = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    starts = [now - timedelta(hours=hours - i) for i in range(hours)]
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
                ((Delivery.status == DeliveryStatus.SENT.value) & (Delivery.sent_at >= since))
                | ((Delivery.status == DeliveryStatus.FAILED.value) & (Delivery.updated_at >= since))
            )
        )
    ).one()
    values = [int(v or 0) for v in row]
    return [HourBucket(as_utc(start), values[2 * i], values[2 * i + 1]) for i, start in enumerate(starts)]


__all__ = ["ChannelRow", "HourBucket", "channels", "deliveries_per_hour"]
