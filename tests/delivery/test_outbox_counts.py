"""The outbox's read side for the workers, the console and ``/metrics``, on SQLite and PostgreSQL.

Each count that used to be written next to its caller (the progress resume, the ops notices and the
pulse, the console's chart, the outbox depth gauge) is checked here against a small outbox whose
rows were moved through the outbox's own transitions, with every time passed explicitly.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.db.models import Alert
from bot.delivery import leases, outbox_counts
from bot.delivery.leases import Outcome
from bot.domain import DeliveryStatus, Urgency
from tests.delivery.conftest import World


async def test_counts_for_workers_console_and_metrics(world: World) -> None:
    await world.subscribers([1, 2, 3], level="all")
    failing = await world.alert("failing", urgency=Urgency.URGENT)
    queued = await world.alert("queued", urgency=Urgency.NORMAL)
    now = world.clock.now() + timedelta(minutes=5)
    async with world.sessionmaker() as session, session.begin():
        claimed = await leases.claim(session, owner="a", room=3, now=now, lease_seconds=60)
    assert {job.alert_id for job in claimed} == {failing}
    one, two, three = claimed
    async with world.sessionmaker() as session, session.begin():
        await leases.record(
            session,
            [
                Outcome(one, status=DeliveryStatus.SENT, message_id=1, sent_at=now),
                Outcome(two, status=DeliveryStatus.FAILED, error="Forbidden: bot was blocked by the user"),
                Outcome(three, status=DeliveryStatus.FAILED, error="Bad Request: chat not found"),
            ],
            now,
        )
        await session.execute(
            update(Alert).where(Alert.id == queued).values(status_message_id=10, status_chat_id=5)
        )

    since = now - timedelta(hours=1)
    hour = now.replace(minute=0, second=0, microsecond=0)
    async with world.sessionmaker() as session:
        assert await outbox_counts.failure_tallies_since(session, since, min_failed=2) == [
            outbox_counts.FailureTally(failing, total=3, failed=2)
        ]
        assert await outbox_counts.failure_tallies_since(session, since, min_failed=3) == []
        assert (
            await outbox_counts.failure_tallies_since(session, now + timedelta(hours=1), min_failed=1) == []
        )
        assert sorted(str(error) for error in await outbox_counts.failure_errors(session, failing)) == [
            "Bad Request: chat not found",
            "Forbidden: bot was blocked by the user",
        ]
        assert len(await outbox_counts.failure_errors(session, failing, limit=1)) == 1
        assert await outbox_counts.followed_alerts_unfinished(session, since) == [queued]
        assert await outbox_counts.followed_alerts_unfinished(session, now + timedelta(hours=1)) == []
        assert await outbox_counts.depth_by_priority(session) == {Urgency.NORMAL.rank: 3}
        oldest = await outbox_counts.oldest_due(session, now)
        assert oldest is not None and since < oldest <= now
        assert await outbox_counts.oldest_due(session, since) is None
        assert await outbox_counts.sent_and_failed_per_hour(session, [hour - timedelta(hours=1), hour]) == [
            (0, 0),
            (1, 2),
        ]
        assert await outbox_counts.sent_and_failed_per_hour(session, []) == []
