"""A correction that races with the sender recording a send must still mark that copy for editing.

Regression: marking sent and in-flight copies in two UPDATEs let a copy recorded as sent *between*
them escape both (PostgreSQL re-checks the second WHERE on the committed row). Here the race is made
deterministic: connection A holds the row mid-update (sending → sent, uncommitted) while the
correction runs; A commits; the copy must come out ``edit_state='pending'``. On SQLite the same
sequence serialises on the write lock, and the assertion holds too.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from bot.db.models import Delivery
from bot.domain import AlertRequest, DeliveryStatus, Urgency
from bot.services.alerts import create_alert
from bot.services.corrections import correct_alert

CLOCK = SystemClock()


async def test_a_copy_recorded_as_sent_while_a_correction_runs_is_still_edited(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    now = CLOCK.now()
    async with session_factory() as session, session.begin():
        alert = await create_alert(session, AlertRequest("Minister resigns", Urgency.URGENT, ()), CLOCK)
        await session.execute(
            insert(Delivery).values(
                alert_id=alert.alert_id,
                chat_id=42,
                thread_id=0,
                priority=1,
                status=DeliveryStatus.SENDING,
                attempts=0,
                lease_owner="sender-a",
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )

    async with engine.connect() as sender_connection:
        transaction = await sender_connection.begin()
        await sender_connection.execute(  # the sender records the send; not committed yet
            update(Delivery)
            .where(Delivery.chat_id == 42)
            .values(status=DeliveryStatus.SENT.value, telegram_message_id=7, lease_owner=None)
        )

        async def correct() -> int:
            async with session_factory() as session, session.begin():
                return await correct_alert(
                    session, alert.alert_id, "Minister resigns over budget", clock=CLOCK
                )

        correction = asyncio.create_task(correct())
        await asyncio.sleep(0.3)  # the correction is now waiting for the row (PG) or the write lock (SQLite)
        await transaction.commit()
        assert await asyncio.wait_for(correction, timeout=10) == 1

    async with session_factory() as session:
        state = await session.scalar(select(Delivery.edit_state).where(Delivery.chat_id == 42))
    assert state == "pending"
