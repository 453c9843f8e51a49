"""Telegram misbehaving during a broadcast, on SQLite and PostgreSQL (issue 9): 5xx answers, timeouts,
connection resets, and the Bot API unreachable for 30 s. Each asserts zero lost, the duplicate bound
and recovery. The 30 s are injected-clock seconds (the sender's backoff reads the clock), so the test
waits for the sender, never for the outage."""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.domain import DeliveryStatus
from tests.chaos.outage import TcpProxy
from tests.delivery.conftest import World, eventually

CHATS = list(range(9001, 9201))


def copies(world: World) -> Counter[int]:
    return Counter(m.chat_id for chat in CHATS for m in world.emulator.bot_messages(chat))


async def test_5xx_timeouts_and_resets_mid_broadcast_lose_nothing(world: World) -> None:
    await world.subscribers(CHATS)
    for chat in CHATS[:20]:
        await world.tg.inject("server_error", method="sendMessage", chat_id=chat, times=2)
    for chat in CHATS[20:30]:
        await world.tg.inject("bad_gateway", method="sendMessage", chat_id=chat)
    for chat in CHATS[30:40]:  # slow Telegram: the request times out, yet the message goes out late
        await world.tg.inject_timeout(1.5, method="sendMessage", chat_id=chat)
    for chat in CHATS[40:50]:
        await world.tg.inject_reset(method="sendMessage", chat_id=chat)
    alert_id = await world.alert("عاجل: أعطال تيليغرام")
    # a long lease: the test moves the clock far faster than real time, and a lease must not run out
    # under a request still in flight (that is the sender's own stall guard, not what is tested here)
    sender = world.sender(request_timeout_seconds=1.0, max_backoff_seconds=1, lease_seconds=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    try:

        async def everyone() -> bool:
            world.clock.advance(0.2)  # backoffs pass in clock time, not wall time
            rows = await world.deliveries(alert_id)
            return all(r.status is DeliveryStatus.SENT for r in rows)

        await eventually(everyone, within=60, what="every delivery sent despite the faults")
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    per_chat = copies(world)
    assert set(per_chat) == set(CHATS)  # zero lost
    duplicates = sum(n - 1 for n in per_chat.values())
    dup_chats = sorted(c for c, n in per_chat.items() if n > 1)
    assert duplicates <= 10, (dup_chats, per_chat.most_common(3))  # only late-executed timeouts repeat
    assert duplicates <= sender.max_unconfirmed


async def test_telegram_unreachable_for_30_seconds_then_everyone_is_served(world: World) -> None:
    await world.subscribers(CHATS)
    proxy = await TcpProxy("127.0.0.1", world.server.port).start()
    try:
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        from bot.delivery.sender import Sender

        settings = world.settings(
            global_rate=100, request_timeout_seconds=1.0, max_backoff_seconds=10, lease_seconds=3600
        )
        url = f"http://127.0.0.1:{proxy.port}"
        bot = Bot(world.server.token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
        world._bots.append(bot)
        sender = Sender(sessionmaker=world.sessionmaker, bot=bot, settings=settings, clock=world.clock)
        alert_id = await world.alert("عاجل: تيليغرام غير متاح")
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        try:

            async def some() -> bool:
                return len(copies(world)) >= 30

            await eventually(some, within=30, what="the broadcast to start")
            proxy.down()  # Telegram unreachable: every request is reset
            for _ in range(6):  # 30 s of clock time, in 5 s steps: each step the due rows are retried
                world.clock.advance(5)
                await asyncio.sleep(0.3)
            assert len(copies(world)) < len(CHATS), "finished before the outage"
            proxy.up()
            world.clock.advance(10)  # past the longest backoff
            loop = asyncio.get_running_loop()
            back = loop.time()

            async def everyone() -> bool:
                world.clock.advance(0.2)
                rows = await world.deliveries(alert_id)
                return all(r.status is DeliveryStatus.SENT for r in rows)

            await eventually(everyone, within=60, what="every delivery sent after Telegram returned")
            recovered_in = loop.time() - back
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
    finally:
        await proxy.close()
    per_chat = copies(world)
    assert set(per_chat) == set(CHATS)  # zero lost
    assert sum(n - 1 for n in per_chat.values()) <= sender.max_unconfirmed
    assert not [r for r in await world.deliveries(alert_id) if r.status is DeliveryStatus.FAILED]
    assert recovered_in < 30, recovered_in
