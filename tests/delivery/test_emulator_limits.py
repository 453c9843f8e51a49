"""The emulator's Telegram-like flood limits and on-demand faults, over HTTP and the control API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.clock import FrozenClock
from bot.domain import ChatKind
from bot.emulator import EmulatorClient, EmulatorServer
from bot.emulator.client import EmulatorClientError
from bot.emulator.interceptor import InterceptedCall
from bot.emulator.model import MemberStatus
from bot.emulator.ratelimit import LimitConfig, RateLimiter
from tests.delivery.conftest import eventually


class Api:
    def __init__(self, server: EmulatorServer, http: aiohttp.ClientSession) -> None:
        self.url = f"{server.url}/bot{server.token}/"
        self.http = http

    async def send(self, chat_id: int, text: str = "hi", **extra: Any) -> tuple[int, dict[str, Any], Any]:
        body = {"chat_id": chat_id, "text": text, **extra}
        async with self.http.post(self.url + "sendMessage", json=body) as response:
            return response.status, await response.json(), response.headers


@pytest.fixture
async def emu() -> AsyncIterator[tuple[EmulatorServer, EmulatorClient, Api]]:
    async with EmulatorServer() as server, EmulatorClient(server.url) as tg, aiohttp.ClientSession() as http:
        for user_id in range(1, 6):
            server.emulator.add_user(f"u{user_id}", user_id=user_id, started=True)
        yield server, tg, Api(server, http)


def _call(chat_id: int, *, paid: bool = False, method: str = "sendMessage") -> InterceptedCall:
    params = {"allow_paid_broadcast": "true"} if paid else {}
    return InterceptedCall(method, chat_id, params, FrozenClock().now())


async def test_per_chat_limit_allows_a_small_burst_then_answers_429_with_retry_after() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(clock)
    limiter.configure(LimitConfig(global_rate=1000, per_chat_rate=1, per_chat_burst=3))
    assert [await limiter.intercept(_call(1)) for _ in range(3)] == [None, None, None]
    refused = await limiter.intercept(_call(1))
    assert refused is not None and refused.code == 429 and refused.retry_after == 1
    assert await limiter.intercept(_call(2)) is None  # another chat is not affected
    clock.advance(1.0)
    assert await limiter.intercept(_call(1)) is None
    assert limiter.stats.by_scope == {"chat": 1}


async def test_group_limit_is_twenty_per_sliding_minute() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(clock)
    limiter.configure(LimitConfig(global_rate=1000, per_chat_rate=100, per_chat_burst=100))
    for _ in range(20):
        assert await limiter.intercept(_call(-100123)) is None
        clock.advance(1.0)
    refused = await limiter.intercept(_call(-100123))
    assert refused is not None and refused.retry_after == 40  # the first of the 20 leaves the window at 60 s
    clock.advance(40.0)
    assert await limiter.intercept(_call(-100123)) is None


async def test_global_and_paid_broadcast_buckets() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(clock)
    limiter.configure(LimitConfig(global_rate=30, paid_rate=1000, burst_seconds=0.1))
    results = [await limiter.intercept(_call(chat)) for chat in range(100, 110)]
    assert results[:3] == [None] * 3 and results[3] is not None and results[3].code == 429
    paid = [await limiter.intercept(_call(chat, paid=True)) for chat in range(200, 300)]
    assert paid.count(None) == 100  # a burst of 100 fits 1000/s × 0.1 s
    assert await limiter.intercept(_call(999, paid=True)) is not None
    clock.advance(0.01)  # 10 more paid messages' worth
    assert [await limiter.intercept(_call(c, paid=True)) for c in range(400, 410)].count(None) == 10
    assert await limiter.intercept(_call(1, method="deleteMessage")) is None  # deletes are not limited


async def test_a_real_429_has_the_header_and_parameters_and_changes_nothing(
    emu: tuple[EmulatorServer, EmulatorClient, Api],
) -> None:
    server, tg, api = emu
    snapshot = await tg.set_rate_limits(per_chat_rate=1, per_chat_burst=1)
    assert snapshot["enabled"] and snapshot["config"]["per_chat_burst"] == 1
    status, body, _ = await api.send(1)
    assert status == 200 and body["ok"]
    status, body, headers = await api.send(1)
    assert status == 429 and headers["Retry-After"] == "1"
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert len(server.emulator.bot_messages(1)) == 1
    stats = (await tg.rate_limits())["stats"]
    assert (stats["accepted"], stats["limited"], stats["by_scope"]) == (1, 1, {"chat": 1})
    await tg.clear_rate_limits()
    assert (await api.send(1))[0] == 200
    assert not (await tg.rate_limits())["enabled"]


async def test_timeouts_resets_and_named_faults_on_demand(
    emu: tuple[EmulatorServer, EmulatorClient, Api],
) -> None:
    server, tg, api = emu
    await tg.inject_timeout(0.5, method="sendMessage", chat_id=1)
    timeout = aiohttp.ClientTimeout(total=0.2)
    async with aiohttp.ClientSession(timeout=timeout) as impatient:
        with pytest.raises(asyncio.TimeoutError):
            await impatient.post(api.url + "sendMessage", json={"chat_id": 1, "text": "late"})

    async def ran_late() -> bool:  # the server finishes the request after the client gave up
        return bool(server.emulator.bot_messages(1))

    await eventually(ran_late, what="the late message")
    assert [m.text for m in server.emulator.bot_messages(1)] == ["late"]  # once, late, like Telegram

    await tg.inject_reset(chat_id=2)
    with pytest.raises(aiohttp.ClientError):
        await api.send(2)
    assert server.emulator.bot_messages(2) == []
    assert server.emulator.calls[-1].status == 0

    await tg.inject("blocked", chat_id=3)
    status, body, _ = await api.send(3)
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    owner = server.emulator.users[1]
    channel = server.emulator.create_chat(ChatKind.CHANNEL, "news", creator_id=owner.id)
    server.emulator.set_bot_status(channel.id, MemberStatus.ADMINISTRATOR)
    await tg.inject("kicked", chat_id=channel.id)
    status, body, _ = await api.send(channel.id)
    assert body["description"] == "Forbidden: bot was kicked from the channel chat"
    await tg.inject("migrated", chat_id=4, migrate_to_chat_id=-1009)
    status, body, _ = await api.send(4)
    assert body["parameters"] == {"migrate_to_chat_id": -1009}
    await tg.inject("server_error", times=2)
    assert [(await api.send(5))[0] for _ in range(3)] == [500, 500, 200]
    await tg.inject_timeout(0.3, chat_id=5, error_code=502, description="Bad Gateway")
    assert (await api.send(5))[0] == 502
    with pytest.raises(EmulatorClientError):
        await tg.inject("no-such-fault")
    assert [rule["action"] for rule in await tg.faults()][:2] == ["delay", "reset"]


def test_limit_settings_are_validated() -> None:
    from bot.emulator.errors import EmulatorError

    with pytest.raises(EmulatorError):
        LimitConfig.from_json({"global_rate": -1})
    with pytest.raises(EmulatorError):
        LimitConfig.from_json({"speed": 3})
    assert LimitConfig.from_json({"group_per_minute": "10"}).group_per_minute == 10


async def test_the_sender_at_the_configured_limits_sees_no_429(world: Any) -> None:
    """A sender paced at the emulator's own limits: everyone served, not a single flood wait."""
    await world.subscribers(list(range(1, 61)))
    # Telegram's shape: 1/s per chat with a small burst; the global bucket absorbs 0.2 s of jitter
    await world.tg.set_rate_limits(global_rate=60, burst_seconds=0.2, per_chat_rate=1, per_chat_burst=2)
    ids = [await world.alert(f"a{i}") for i in range(2)]
    sender = world.sender(global_rate=60, per_chat_interval_seconds=1.0)
    await sender.run_until_idle()
    stats = (await world.tg.rate_limits())["stats"]
    assert stats["limited"] == 0 and stats["accepted"] == 120, stats
    assert sender.stats.flood_waits == 0
    for alert_id in ids:
        assert len(await world.deliveries(alert_id)) == 60
