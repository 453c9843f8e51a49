"""Console-only read models: channels with their topics, and deliveries per hour over the last day.

The chart's counting is :func:`bot.delivery.outbox_counts.sent_and_failed_per_hour` (the outbox's read
side); this module only lays the hours out.

Everything else the console shows comes from the services the Telegram flow uses
(:mod:`bot.services.editor_alerts` history/stats/audience, :mod:`bot.services.sources`).
Queries are bounded (channels: at most :data:`MAX_CHANNELS`; the chart: one aggregate query).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, as_utc
from bot.db.models import Channel
from bot.delivery import outbox_counts

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
    counts = await outbox_counts.sent_and_failed_per_hour(session, starts)
    return [
        HourBucket(as_utc(start), sent, failed) for start, (sent, failed) in zip(starts, counts, strict=True)
    ]


__all__ = ["ChannelRow", "HourBucket", "channels", "deliveries_per_hour"]
