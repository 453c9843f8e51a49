"""The ops chat's memory (bot.services.ops_notices) and the editors' message map live in their own
tables, not in the audit log — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FrozenClock
from bot.db.models import AuditLog, OpsNotice
from bot.services.ops_notices import last_notified, record_notified

CLOCK = FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
SOURCE_STATES = ("ops.source_unhealthy", "ops.source_stale", "ops.source_recovered")


async def test_the_last_notified_state_per_subject_is_kept_and_replaced(session: AsyncSession) -> None:
    assert await last_notified(session, SOURCE_STATES) == {}
    await record_notified(session, "source:1", "ops.source_unhealthy", CLOCK)
    await record_notified(session, "source:2", "ops.source_stale", CLOCK)
    await record_notified(session, "alert:9", "ops.bulk_failures", CLOCK)
    later = FrozenClock(CLOCK.now() + timedelta(minutes=5))
    await record_notified(session, "source:1", "ops.source_recovered", later)

    assert await last_notified(session, SOURCE_STATES) == {
        "source:1": "ops.source_recovered",
        "source:2": "ops.source_stale",
    }
    assert await last_notified(session, ["ops.bulk_failures"]) == {"alert:9": "ops.bulk_failures"}
    row = await session.get(OpsNotice, "source:1")
    assert row is not None and row.notified_at == later.now()
    assert await session.scalar(select(func.count()).select_from(OpsNotice)) == 3
    # nothing of it is read from, or written to, the audit log
    assert await session.scalar(select(func.count()).select_from(AuditLog)) == 0
