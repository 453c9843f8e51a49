"""The sender against the emulator over HTTP, on SQLite and PostgreSQL: order, limits, every error path,
message ids and metrics."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot import metrics
from bot.db.models import Channel, Delivery
from bot.domain import ChatKind, DeliveryStatus, Urgency
from bot.emulator.model import MemberStatus
from tests.delivery.conftest import World, eventually


def _sample(name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels or {}) or 0.0


async def test_every_subscriber_gets_one_copy_and_telegrams_message_id_is_recorded(world: World) -> None:
    chats = list(range(1001, 1031))
    await world.subscribers(chats, language="en")
    alert_id = await world.alert("Quake hits the coast", topics=("politics",))
    await world.sender().run_until_idle()
    rows = await world.deliveries(alert_id)
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    for row in rows:
        [message] = world.emulator.bot_messages(row.chat_id)
        assert row.telegram_message_id == message.message_id and row.sent_at is not None
        assert (message.text or "").startswith("🔴 BREAKING | Quake hits the coast")


async def test_outbox_drains_flash_then_urgent_then_normal(world: World) -> None:
    await world.subscribers([1, 2, 3], level="all")
    normal = await world.alert("normal", Urgency.NORMAL)
    urgent = await world.alert("urgent", Urgency.URGENT)
    flash = await world.alert("flash", Urgency.FLASH)
    await world.sender(concurrency=1).run_until_idle()
    sent = [c.params["text"] for c in world.emulator.calls if c.method == "sendMessage"]
    order = {"flash": 0, "urgent": 1, "normal": 2}
    ranks = [next(order[k] for k in order if f"<b>{k}</b>" in text) for text in sent]
    assert ranks == sorted(ranks) and len(ranks) == 9
    for alert_id in (normal, urgent, flash):
        assert {r.status for r in await world.deliveries(alert_id)} == {DeliveryStatus.SENT}


async def test_a_busy_chat_waits_without_blocking_the_others(world: World) -> None:
    await world.subscribers([1], ("politics", "economy"))
    await world.subscribers(list(range(100, 120)), ("politics",))
    first = await world.alert("first", topics=("economy",))  # chat 1 only
    second = await world.alert("second", topics=("politics",))  # chat 1 again, and 20 others
    await world.sender(per_chat_interval_seconds=0.6).run_until_idle()
    sends = [c for c in world.emulator.calls if c.method == "sendMessage"]
    to_one = [c for c in sends if c.params["chat_id"] == 1]
    assert ["<b>first</b>" in to_one[0].params["text"], "<b>second</b>" in to_one[1].params["text"]] == [
        True,
        True,
    ]
    # chat 1's second message was held (its interval, tested on the injected clock in test_limiter)
    # while the 20 others went: nobody waited for chat 1, and chat 1 got both, in order
    others = [c for c in sends if c.params["chat_id"] != 1]
    assert len(others) == 20 and others[-1].seq < to_one[1].seq
    for alert_id in (first, second):
        assert {r.status for r in await world.deliveries(alert_id)} == {DeliveryStatus.SENT}


async def test_a_group_over_its_per_minute_limit_is_rescheduled_without_blocking(world: World) -> None:
    world.emulator.add_user("owner", user_id=900, started=True)
    group = world.emulator.create_chat(ChatKind.GROUP, "desk", creator_id=900)
    world.emulator.set_bot_status(group.id, MemberStatus.MEMBER)
    await world.subscribers([group.id], in_emulator=False)
    await world.subscribers([5, 6])
    ids = [await world.alert(f"n{i}") for i in range(3)]
    await world.sender(group_per_minute=2).run_until_idle()
    group_rows = [r for a in ids for r in await world.deliveries(a) if r.chat_id == group.id]
    statuses = sorted(r.status.value for r in group_rows)
    assert statuses == ["pending", "sent", "sent"]
    waiting = next(r for r in group_rows if r.status is DeliveryStatus.PENDING)
    assert waiting.attempts == 0
    assert waiting.next_attempt_at > world.clock.now() + timedelta(seconds=50)
    assert len(world.emulator.bot_messages(5)) == 3 and len(world.emulator.bot_messages(6)) == 3


async def test_429_reschedules_that_delivery_after_retry_after_and_slows_the_pace_only(world: World) -> None:
    await world.subscribers(list(range(1, 21)))
    await world.tg.inject_fault(429, method="sendMessage", chat_id=7, retry_after=3000)
    floods = _sample("aajel_flood_waits_total")
    alert_id = await world.alert()
    sender = world.sender(flood_pause_max_seconds=0.2)
    # not a 3000-second stall: the round ends long before (the generous bound is only a safety net)
    await asyncio.wait_for(sender.run_until_idle(), 120)
    rows = {r.chat_id: r for r in await world.deliveries(alert_id)}
    assert rows[7].status is DeliveryStatus.PENDING and rows[7].attempts == 0
    wait = (rows[7].next_attempt_at - world.clock.now()).total_seconds()
    assert 2990 < wait <= 3000
    assert "retry after 3000" in (rows[7].error or "")
    assert all(r.status is DeliveryStatus.SENT for chat, r in rows.items() if chat != 7)
    assert sender.pacer.rate < sender.rate  # the global pace adapted
    assert _sample("aajel_flood_waits_total") == floods + 1
    world.clock.advance(3001)
    await world.sender().run_until_idle()
    assert [r.status for r in await world.deliveries(alert_id) if r.chat_id == 7] == [DeliveryStatus.SENT]


async def test_blocked_deactivated_and_never_started_users_are_deactivated_and_their_queue_cancelled(
    world: World,
) -> None:
    await world.subscribers([1, 2, 3, 4])
    world.emulator.set_blocked(1, True)
    world.emulator.deactivate(2)
    world.emulator.users[3].started = False
    failures = _sample("aajel_send_failures_total", {"reason": "forbidden"})
    first = await world.alert("first")
    second = await world.alert("second")
    await world.sender(concurrency=1).run_until_idle()
    reasons = {r.chat_id: (r.status, r.error) for r in await world.deliveries(first)}
    assert reasons[1] == (DeliveryStatus.FAILED, "Forbidden: bot was blocked by the user")
    assert reasons[2] == (DeliveryStatus.FAILED, "Forbidden: user is deactivated")
    assert reasons[3] == (DeliveryStatus.FAILED, "Forbidden: bot can't initiate conversation with a user")
    assert reasons[4][0] is DeliveryStatus.SENT
    later = {r.chat_id: r.status for r in await world.deliveries(second)}
    assert later == {
        1: DeliveryStatus.CANCELLED,
        2: DeliveryStatus.CANCELLED,
        3: DeliveryStatus.CANCELLED,
        4: DeliveryStatus.SENT,
    }
    for chat in (1, 2, 3):
        subscriber = await world.subscriber(chat)
        assert subscriber is not None and not subscriber.active and subscriber.inactive_reason
    assert _sample("aajel_send_failures_total", {"reason": "forbidden"}) == failures + 3
    # a new alert plans nothing for them
    third = await world.alert("third")
    assert [r.chat_id for r in await world.deliveries(third)] == [4]


async def test_kicked_from_a_channel_and_not_a_member_deactivate_the_channel(world: World) -> None:
    world.emulator.add_user("owner", user_id=900, started=True)
    kicked = world.emulator.create_chat(ChatKind.CHANNEL, "news", creator_id=900)
    world.emulator.set_bot_status(kicked.id, MemberStatus.KICKED)
    absent = world.emulator.create_chat(ChatKind.SUPERGROUP, "room", creator_id=900)
    fine = world.emulator.create_chat(ChatKind.CHANNEL, "ok", creator_id=900)
    world.emulator.set_bot_status(fine.id, MemberStatus.ADMINISTRATOR)
    for chat in (kicked.id, absent.id, fine.id):
        await world.channel(chat)
    alert_id = await world.alert()
    await world.sender().run_until_idle()
    rows = {r.chat_id: r for r in await world.deliveries(alert_id)}
    assert rows[kicked.id].error == "Forbidden: bot was kicked from the channel chat"
    assert rows[absent.id].error == "Forbidden: bot is not a member of the supergroup chat"
    assert rows[fine.id].status is DeliveryStatus.SENT
    async with world.sessionmaker() as session:
        active = {c.chat_id: c.active for c in await session.scalars(select(Channel))}
    assert active == {kicked.id: False, absent.id: False, fine.id: True}


async def test_a_migrated_group_gets_the_message_at_its_new_id_and_keeps_its_subscription(
    world: World,
) -> None:
    world.emulator.add_user("owner", user_id=900, started=True)
    group = world.emulator.create_chat(ChatKind.GROUP, "desk", creator_id=900)
    world.emulator.set_bot_status(group.id, MemberStatus.MEMBER)
    await world.subscribers([group.id], in_emulator=False)
    first = await world.alert("first")
    second = await world.alert("second")
    new = world.emulator.migrate(group.id)
    await world.sender(concurrency=1).run_until_idle()
    assert [m.text.split("| ")[1].split("\n")[0] for m in world.emulator.bot_messages(new.id)] == [
        "first",
        "second",
    ]
    for alert_id in (first, second):
        [row] = await world.deliveries(alert_id)
        assert (row.chat_id, row.status) == (new.id, DeliveryStatus.SENT)
    subscriber = await world.subscriber(new.id)
    assert subscriber is not None and subscriber.active
    third = await world.alert("third")
    assert [r.chat_id for r in await world.deliveries(third)] == [new.id]


async def test_cant_parse_entities_is_sent_again_as_plain_text(world: World) -> None:
    await world.subscribers([1, 2])
    await world.tg.inject("bad_html", method="sendMessage", chat_id=1)
    alert_id = await world.alert("<عاجل> & خبر")
    await world.sender().run_until_idle()
    assert {r.status for r in await world.deliveries(alert_id)} == {DeliveryStatus.SENT}
    [plain] = world.emulator.bot_messages(1)
    [html] = world.emulator.bot_messages(2)
    assert plain.parse_mode is None and plain.entities == [] and "<عاجل> & خبر" in (plain.text or "")
    assert html.parse_mode == "HTML" and html.text == plain.text


async def test_5xx_timeouts_and_connection_resets_are_retried_with_backoff(world: World) -> None:
    await world.subscribers([1, 2, 3, 4])
    await world.tg.inject("server_error", method="sendMessage", chat_id=1)
    await world.tg.inject("bad_gateway", method="sendMessage", chat_id=2)
    await world.tg.inject_timeout(1.5, method="sendMessage", chat_id=3, error_code=500, description="late")
    await world.tg.inject_reset(method="sendMessage", chat_id=4)
    retries = sum(
        _sample("aajel_send_retries_total", {"reason": r}) for r in ("internal_server_error", "bad_gateway")
    )
    alert_id = await world.alert()
    before = world.clock.now()
    await world.sender(request_timeout_seconds=0.5).run_until_idle()
    after = world.clock.now()
    rows = {r.chat_id: r for r in await world.deliveries(alert_id)}
    for chat in (1, 2, 3, 4):
        assert rows[chat].status is DeliveryStatus.PENDING and rows[chat].attempts == 1, rows[chat]
        # the first backoff, 2 s (not 4) after the failure, which happened during the round (a ShiftClock
        # runs with real time, so the round's own length is bracketed, not guessed)
        backoff = timedelta(seconds=2)
        assert before + backoff <= rows[chat].next_attempt_at <= after + backoff
    assert rows[1].error == "Internal Server Error" and rows[2].error == "Bad Gateway"
    assert "Timeout" in (rows[3].error or "")
    assert rows[4].error and "sendMessage" in rows[4].error
    assert (
        sum(
            _sample("aajel_send_retries_total", {"reason": r})
            for r in ("internal_server_error", "bad_gateway")
        )
        == retries + 2
    )
    world.clock.advance(2.5)
    await world.sender().run_until_idle()
    assert {r.status for r in await world.deliveries(alert_id)} == {DeliveryStatus.SENT}
    assert all(len(world.emulator.bot_messages(c)) == 1 for c in (1, 2, 3, 4))


async def test_a_delivery_that_keeps_failing_is_stored_failed_with_its_reason(world: World) -> None:
    await world.subscribers([1])
    await world.tg.inject("server_error", method="sendMessage", chat_id=1, times=10)
    alert_id = await world.alert()
    for _ in range(3):
        await world.sender(max_attempts=3).run_until_idle()
        world.clock.advance(300)
    [row] = await world.deliveries(alert_id)
    assert row.status is DeliveryStatus.FAILED and row.attempts == 3
    assert row.error == "gave up after 3 attempts: Internal Server Error"


async def test_other_400s_fail_at_once_with_the_reason_and_others_go_on(world: World) -> None:
    await world.subscribers([1, 2])
    await world.subscribers([3], in_emulator=False)  # Telegram does not know this chat
    alert_id = await world.alert()
    await world.sender().run_until_idle()
    rows = {r.chat_id: r for r in await world.deliveries(alert_id)}
    assert (rows[3].status, rows[3].error) == (DeliveryStatus.FAILED, "Bad Request: chat not found")
    assert rows[1].status is rows[2].status is DeliveryStatus.SENT


async def test_metrics_count_sends_latency_and_outbox_depth(world: World) -> None:
    await world.subscribers([1, 2, 3])
    sends = _sample("aajel_sends_total")
    first = _sample("aajel_detect_to_first_push_seconds_count")
    last = _sample("aajel_detect_to_last_push_seconds_count")
    await world.alert(urgency=Urgency.FLASH)
    metrics.OUTBOX_DEPTH.labels("flash").set(-1)  # a value the sender never reports
    sender = world.sender()
    await sender.run_until_idle()
    assert _sample("aajel_sends_total") == sends + 3
    assert _sample("aajel_detect_to_first_push_seconds_count") == first + 1
    assert _sample("aajel_detect_to_last_push_seconds_count") == last + 1
    # The gauge is refreshed by the running sender's claim loop (at most once a second), so a short
    # run may end before any reading: run a sender on the drained outbox until it reports it empty.
    running, stop = world.sender(), asyncio.Event()
    task = asyncio.create_task(running.run(stop))

    async def drained() -> bool:
        return _sample("aajel_outbox_depth", {"priority": "flash"}) == 0.0

    try:
        await eventually(drained, what="the outbox depth gauge at 0")
    finally:
        stop.set()
        await task
    await world.alert(urgency=Urgency.FLASH, headline="another")
    await sender.report_outbox_depth()  # the running loop refreshes it at most once a second
    assert _sample("aajel_outbox_depth", {"priority": "flash"}) == 3.0


async def test_a_running_sender_wakes_up_for_new_alerts_and_stops_cleanly(world: World) -> None:
    await world.subscribers([1, 2])
    sender = world.sender()
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    alert_id = await world.alert()
    sender.wake()

    async def done() -> bool:
        return {r.status for r in await world.deliveries(alert_id)} == {DeliveryStatus.SENT}

    await eventually(done, within=5, what="both sent")
    stop.set()
    await asyncio.wait_for(task, 5)
    async with world.sessionmaker() as session:
        leased = await session.scalar(select(Delivery.id).where(Delivery.lease_owner.is_not(None)))
    assert leased is None
