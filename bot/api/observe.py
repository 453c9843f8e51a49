"""Gauges that describe stored state, refreshed from the database right before each ``/metrics`` scrape.

Counters and histograms are incremented where things happen (sender, poller). Gauges about *state* —
how deep the outbox is, when each source last succeeded and how fresh it is — are read from the
database at scrape time instead, so they are right even after a restart, across several bot
instances, and whoever else sets them. Two cheap grouped queries; no transaction is held afterwards.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, as_utc
from bot.db.models import Source
from bot.delivery import outbox_counts
from bot.domain import Urgency
from bot.metrics import OUTBOX_DEPTH, SOURCE_FRESHNESS, SOURCE_HEALTHY, SOURCE_LAST_SUCCESS

PRIORITY_NAMES: dict[int, str] = {level.rank: level.value for level in Urgency}
"""Outbox priority (``deliveries.priority`` = :attr:`Urgency.rank`) → label value (flash/urgent/normal)."""


async def refresh_gauges(session: AsyncSession, clock: Clock) -> None:
    by_priority = await outbox_counts.depth_by_priority(session)
    depth = {PRIORITY_NAMES.get(priority, str(priority)): count for priority, count in by_priority.items()}
    for name in PRIORITY_NAMES.values():
        OUTBOX_DEPTH.labels(priority=name).set(depth.pop(name, 0))
    for name, count in depth.items():
        OUTBOX_DEPTH.labels(priority=name).set(count)

    now = clock.now()
    sources = await session.execute(
        select(Source.name, Source.last_success_at, Source.healthy, Source.created_at).where(Source.enabled)
    )
    for name, last_success, healthy, created in sources:
        SOURCE_HEALTHY.labels(source=name).set(1 if healthy else 0)
        if last_success is not None:
            last = as_utc(last_success)
            SOURCE_LAST_SUCCESS.labels(source=name).set(last.timestamp())
            SOURCE_FRESHNESS.labels(source=name).set(max(0.0, (now - last).total_seconds()))
        else:  # never succeeded: as stale as it is old
            SOURCE_FRESHNESS.labels(source=name).set(max(0.0, (now - as_utc(created)).total_seconds()))
