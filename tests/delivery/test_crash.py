"""Crash safety: a sender process killed with SIGKILL mid-broadcast and restarted, and two senders on
one database — on SQLite and PostgreSQL. Counts come from the emulator (what Telegram received)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from bot.db.models import Delivery
from bot.delivery import leases
from bot.domain import DeliveryStatus
from bot.emulator.interceptor import InterceptedCall
from tests.delivery.conftest import World, eventually

ROOT = Path(__file__).resolve().parents[2]
CONCURRENCY, RECORD_BATCH = 8, 16
BOUND = CONCURRENCY + RECORD_BATCH  # the sender's documented duplicate bound per killed process


def _env(world: World, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": world.db_url,
        "BOT_TOKEN": world.server.token,
        "TELEGRAM_API_URL": world.server.url,
        "DELIVERY__GLOBAL_RATE": "150",
        "DELIVERY__PER_CHAT_INTERVAL_SECONDS": "0",
        "DELIVERY__CONCURRENCY": str(CONCURRENCY),
        "DELIVERY__RECORD_BATCH_SIZE": str(RECORD_BATCH),
        "DELIVERY__LEASE_SECONDS": "120",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


async def _spawn(world: World, **extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.delivery.runner",
        cwd=ROOT,
        env=_env(world, **extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def _sends(world: World) -> int:
    return sum(1 for c in world.emulator.calls if c.method == "sendMessage" and c.status == 200)


async def test_kill_9_mid_broadcast_then_restart_delivers_to_everyone_with_bounded_duplicates(
    world: World,
) -> None:
    process = await _spawn(world)  # importing aiogram takes a few seconds: seed meanwhile
    chats = list(range(5001, 5401))
    await world.subscribers(chats)
    alert_id = await world.alert("عاجل: اختبار الانهيار")
    assert process.stdout is not None and process.stderr is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    assert line.startswith(b"ready"), line + await process.stderr.read()

    async def some_sent() -> bool:
        return _sends(world) >= 120

    await eventually(some_sent, within=30, what="120 messages before the kill")
    process.send_signal(signal.SIGKILL)
    await process.wait()
    assert _sends(world) < len(chats), "the broadcast finished before the kill; slow the sender down"
    leased = [r for r in await world.deliveries(alert_id) if r.status is DeliveryStatus.SENDING]
    assert leased, "the killed sender held leases"

    # restart: a new sender (new owner id) with the same settings
    restarted = world.sender(
        global_rate=150, concurrency=CONCURRENCY, record_batch_size=RECORD_BATCH, lease_seconds=120
    )
    # the dead sender's leases (120 s) are taken over at once — its liveness lock died with it — so the
    # round ends well before they could have expired (the bound is a safety net, half the lease)
    await asyncio.wait_for(restarted.run_until_idle(), 60)
    assert restarted.stats.recovered == len(leased)

    per_chat = Counter(m.chat_id for chat in chats for m in world.emulator.bot_messages(chat))
    assert set(per_chat) == set(chats)  # every recipient got the message
    duplicates = sum(n - 1 for n in per_chat.values())
    assert duplicates <= BOUND == restarted.max_unconfirmed, (duplicates, BOUND)
    rows = await world.deliveries(alert_id)
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert all(r.telegram_message_id for r in rows)


class _SendGate:
    """An emulator interceptor that holds every sendMessage until :attr:`open` is set: both senders
    then claim their first batches before either can finish, whatever the machine's load."""

    def __init__(self) -> None:
        self.open = asyncio.Event()

    async def intercept(self, call: InterceptedCall) -> None:
        if call.method == "sendMessage":
            await self.open.wait()


async def test_two_senders_on_one_database_never_send_the_same_delivery_twice(world: World) -> None:
    chats = list(range(7001, 7301))
    await world.subscribers(chats)
    ids = [await world.alert(f"خبر {i}") for i in range(2)]
    from bot.db.session import create_engine, make_sessionmaker

    gate = _SendGate()
    world.emulator.interceptors.insert(0, gate)
    engine = create_engine(world.db_url)  # a second engine: its own pool, like another process
    try:
        one = world.sender(global_rate=2000, batch_size=40)
        two = world.sender(global_rate=2000, batch_size=40, sessionmaker=make_sessionmaker(engine))
        both = asyncio.gather(one.run_until_idle(), two.run_until_idle())

        async def both_hold_leases() -> bool:
            async with world.sessionmaker() as session:
                owners = set(
                    await session.scalars(
                        select(Delivery.lease_owner).where(Delivery.status == DeliveryStatus.SENDING)
                    )
                )
            return {one.owner, two.owner} <= owners

        try:
            await eventually(both_hold_leases, within=30, what="both senders to claim deliveries")
        finally:
            gate.open.set()
        await both
    finally:
        await engine.dispose()
    assert one.stats.sent > 0 and two.stats.sent > 0  # both really worked
    assert one.stats.sent + two.stats.sent == 600
    per_chat = Counter(m.chat_id for chat in chats for m in world.emulator.bot_messages(chat))
    assert set(per_chat.values()) == {2}  # two alerts, one copy each
    for alert_id in ids:
        assert {r.status for r in await world.deliveries(alert_id)} == {DeliveryStatus.SENT}


async def test_leases_of_a_live_sender_are_left_alone_and_those_of_a_dead_one_taken_over(
    world: World,
) -> None:
    await world.subscribers(list(range(1, 11)))
    await world.alert()
    alive = world.sender()
    await alive.acquire_identity()
    async with world.sessionmaker() as session, session.begin():
        claimed = await leases.claim(
            session, owner=alive.owner, room=10, now=world.clock.now(), lease_seconds=60
        )
    assert len(claimed) == 10
    other = world.sender()
    await other.acquire_identity()
    try:
        assert await other.recover_dead_leases() == 0
        await alive.aclose()  # releases its liveness lock: what the OS does when the process dies
        assert await other.recover_dead_leases() == 10
        async with world.sessionmaker() as session:
            statuses = set(await session.scalars(select(Delivery.status)))
        assert statuses == {DeliveryStatus.PENDING}
    finally:
        await other.aclose()
        await alive.aclose()
