"""Fan-out planning (bot.services.alerts.plan_deliveries): who gets an alert, when, and that planning
streams in the database — on SQLite and PostgreSQL."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, literal, select, update

from bot.clock import FrozenClock
from bot.db.models import Alert, Delivery, Subscriber, Subscription
from bot.domain import AlertRequest, AlertState, ChatKind, DeliveryStatus, Urgency
from bot.services.alerts import audience, create_alert, local_minute, plan_deliveries
from tests.delivery.conftest import World


def _by_chat(rows: list[Delivery]) -> dict[tuple[int, int], Delivery]:
    return {(r.chat_id, r.thread_id): r for r in rows}


async def test_breaking_alert_reaches_every_level_every_topic_and_every_channel_once(world: World) -> None:
    await world.subscribers([1, 2], ("politics",), level="urgent")
    await world.subscribers([3], ("economy",), level="all")
    await world.subscribers([4], ("politics", "economy"), level="all")  # two matching topics: one copy
    await world.subscribers([5], ("sports",))  # another topic: nothing
    await world.subscribers([-4100000000009], ("politics",), thread_id=77)  # a forum thread of a group
    await world.channel(-1002000000001, ("economy",))
    await world.channel(-1002000000002, ("economy",), thread_id=12)
    await world.channel(-1002000000003, ("sports",))
    async with world.sessionmaker() as session, session.begin():
        await session.execute(update(Subscriber).where(Subscriber.chat_id == 2).values(active=False))

    alert_id = await world.alert(urgency=Urgency.URGENT, topics=("politics", "economy"))

    rows = _by_chat(await world.deliveries(alert_id))
    assert set(rows) == {
        (1, 0),
        (3, 0),
        (4, 0),
        (-4100000000009, 77),
        (-1002000000001, 0),
        (-1002000000002, 12),
    }
    assert all(
        r.status is DeliveryStatus.PENDING and r.priority == Urgency.URGENT.rank for r in rows.values()
    )
    assert rows[(-1002000000001, 0)].channel_id is not None and rows[(1, 0)].subscriber_id is not None


async def test_normal_alert_goes_only_to_all_level_subscriptions_and_never_to_channels(world: World) -> None:
    await world.subscribers([1], level="urgent")
    await world.subscribers([2], level="all")
    await world.channel(-1002000000001)
    alert_id = await world.alert(urgency=Urgency.NORMAL)
    assert [(r.chat_id, r.priority) for r in await world.deliveries(alert_id)] == [(2, 0)]


async def test_planning_twice_adds_nothing_and_a_retracted_alert_plans_nothing(world: World) -> None:
    await world.subscribers([1, 2, 3])
    alert_id = await world.alert()
    async with world.sessionmaker() as session, session.begin():
        assert await plan_deliveries(session, alert_id, world.clock) == 0
        await session.execute(update(Alert).where(Alert.id == alert_id).values(state=AlertState.RETRACTED))
        await session.execute(Delivery.__table__.delete())
        assert await plan_deliveries(session, alert_id, world.clock) == 0
    assert len(await world.deliveries(alert_id)) == 0


@pytest.mark.parametrize(
    ("utc_now", "zone", "quiet", "expected"),
    [
        # Riyadh is UTC+3: 20:30 UTC is 23:30 local, inside 22:00–07:00 → 07:00 local = 04:00 UTC next day
        (datetime(2026, 3, 1, 20, 30, 15, tzinfo=UTC), "Asia/Riyadh", (22 * 60, 7 * 60), datetime(2026, 3, 2, 4, 0, tzinfo=UTC)),
        # 02:10 local (after midnight, same wrapped window)
        (datetime(2026, 3, 1, 23, 10, tzinfo=UTC), "Asia/Riyadh", (22 * 60, 7 * 60), datetime(2026, 3, 2, 4, 0, tzinfo=UTC)),
        # a window that does not wrap: 13:00–15:00 New York (UTC-5 in January), now 13:45 local
        (datetime(2026, 1, 5, 18, 45, tzinfo=UTC), "America/New_York", (13 * 60, 15 * 60), datetime(2026, 1, 5, 20, 0, tzinfo=UTC)),
        # outside the window: now
        (datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "Asia/Riyadh", (22 * 60, 7 * 60), None),
        # an unknown zone counts as UTC: 23:00 UTC inside 22:00–06:00 → 06:00 UTC
        (datetime(2026, 3, 1, 23, 0, tzinfo=UTC), "Mars/Olympus", (22 * 60, 6 * 60), datetime(2026, 3, 2, 6, 0, tzinfo=UTC)),
    ],
)  # fmt: skip
async def test_normal_items_wait_for_the_end_of_local_quiet_hours(
    world: World, utc_now: datetime, zone: str, quiet: tuple[int, int], expected: datetime | None
) -> None:
    world.clock.offset = utc_now - datetime.now(UTC)
    await world.subscribers([1], level="all", timezone=zone, quiet=quiet)
    await world.subscribers([2], level="all", timezone="UTC")  # no quiet hours: now
    async with world.sessionmaker() as session, session.begin():
        clock = FrozenClock(utc_now)
        planned = await create_alert(session, AlertRequest("خبر عادي", Urgency.NORMAL, ("politics",)), clock)
        assert await plan_deliveries(session, planned.alert_id, clock) == 2
    rows = _by_chat(await world.deliveries(planned.alert_id))
    assert rows[(2, 0)].next_attempt_at == utc_now
    assert rows[(1, 0)].next_attempt_at == (expected or utc_now)


async def test_urgent_and_flash_bypass_quiet_hours(world: World) -> None:
    now = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    await world.subscribers([1], level="all", timezone="UTC", quiet=(22 * 60, 6 * 60))
    clock = FrozenClock(now)
    for urgency in (Urgency.FLASH, Urgency.URGENT):
        async with world.sessionmaker() as session, session.begin():
            planned = await create_alert(session, AlertRequest(f"{urgency}", urgency, ("politics",)), clock)
            await plan_deliveries(session, planned.alert_id, clock)
        [row] = await world.deliveries(planned.alert_id)
        assert row.next_attempt_at == now


def test_local_minute_uses_the_subscribers_zone_and_falls_back_to_utc() -> None:
    moment = datetime(2026, 7, 1, 21, 15, tzinfo=UTC)
    assert local_minute(moment, "Asia/Riyadh") == 0 * 60 + 15  # 00:15 next day
    assert local_minute(moment, "Europe/London") == 22 * 60 + 15  # BST
    assert local_minute(moment, "no/such/zone") == 21 * 60 + 15


async def _seed_bulk(world: World, count: int, start: int) -> None:
    """Bulk rows straight into the tables (fast seeding; planning itself is what is measured)."""
    topic_id = await world.topic("politics")
    now = world.clock.now()
    async with world.sessionmaker() as session, session.begin():
        for offset in range(0, count, 5000):
            chunk = range(start + offset, start + min(count, offset + 5000))
            await session.execute(
                insert(Subscriber),
                [
                    {"chat_id": c, "kind": ChatKind.PRIVATE, "language": "ar", "timezone": "UTC",
                     "created_at": now, "updated_at": now, "active": True}
                    for c in chunk
                ],
            )  # fmt: skip
        ids = select(Subscriber.id).where(Subscriber.chat_id >= start, Subscriber.chat_id < start + count)
        await session.execute(
            insert(Subscription).from_select(
                ["subscriber_id", "topic_id", "thread_id", "level", "created_at"],
                select(
                    ids.subquery().c.id,
                    literal(topic_id),
                    literal(0),
                    literal("all"),
                    literal(now, Subscriber.created_at.type),
                ),
            )
        )


async def _plan_peak(world: World, urgency: Urgency) -> tuple[int, int]:
    async with world.sessionmaker() as session, session.begin():
        planned = await create_alert(session, AlertRequest("x", urgency, ("politics",)), world.clock)
    tracemalloc.start()
    try:
        async with world.sessionmaker() as session, session.begin():
            added = await plan_deliveries(session, planned.alert_id, world.clock)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return added, peak


async def test_planning_memory_does_not_grow_with_the_number_of_subscribers(world: World) -> None:
    await _seed_bulk(world, 1_000, 10_000_000)
    small, small_peak = await _plan_peak(world, Urgency.URGENT)
    await _seed_bulk(world, 20_000, 20_000_000)
    large, large_peak = await _plan_peak(world, Urgency.NORMAL)
    assert (small, large) == (1_000, 21_000)
    # 21× the audience, same Python memory: the rows never leave the database (< 1 KB per 20 extra
    # subscribers would already be 1 MB; the whole planning stays far below that).
    assert large_peak < small_peak * 1.5 + 100_000, (small_peak, large_peak)
    async with world.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 22_000


@pytest.mark.parametrize("urgency", [Urgency.NORMAL, Urgency.URGENT, Urgency.FLASH])
async def test_the_audience_an_editor_is_shown_is_what_planning_plans(world: World, urgency: Urgency) -> None:
    """The preview's count (``audience``) and the outbox agree for every level: channels only for
    breaking news, ``all``-level only for normal, quiet hours delay but still count, one copy per
    (chat, thread) even with several matching topics."""
    now = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    await world.subscribers([1, 2], ("politics",), level="urgent")
    await world.subscribers([3], ("economy",), level="all")
    await world.subscribers([4], ("politics", "economy"), level="all")
    await world.subscribers([5], ("politics",), level="all", timezone="UTC", quiet=(22 * 60, 6 * 60))
    await world.subscribers([6], ("sports",), level="all")
    await world.subscribers([-4100000000009], ("politics",), thread_id=77, level="all")
    await world.channel(-1002000000001, ("economy",))
    await world.channel(-1002000000002, ("politics", "economy"), thread_id=12)
    await world.channel(-1002000000003, ("sports",))
    topic_ids = [await world.topic("politics"), await world.topic("economy")]
    clock = FrozenClock(now)
    async with world.sessionmaker() as session, session.begin():
        shown = await audience(session, topic_ids, urgency)
        planned = await create_alert(session, AlertRequest("خبر", urgency, ("politics", "economy")), clock)
        added = await plan_deliveries(session, planned.alert_id, clock)
    assert shown == added == len(await world.deliveries(planned.alert_id))
    assert shown == (4 if urgency is Urgency.NORMAL else 8)
