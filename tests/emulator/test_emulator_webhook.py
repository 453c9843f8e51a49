"""Webhook delivery to a local receiver: secret header, retries, method replies, and real aiogram."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.emulator import Emulator, EmulatorClient, EmulatorServer

from .conftest import RawApi

SECRET = "s3cr3t-Token_1"


class Receiver:
    """A tiny webhook endpoint on 127.0.0.1 that records requests and answers from a script."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.statuses: list[int] = []  # answers to give, in order; 200 once exhausted
        self.reply: dict[str, Any] | None = None
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.json()))
        self.arrived.set()
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200 and self.reply is not None:
            return web.json_response(self.reply)
        return web.Response(status=status)


async def run_app(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/hook"


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    state = Receiver()
    app = web.Application()
    app.router.add_post("/hook", state.handle)
    runner, url = await run_app(app)
    yield state, url
    await runner.cleanup()


async def until(predicate: Any, seconds: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_updates_are_posted_with_the_secret_header_and_confirmed(
    api: RawApi, emulator: Emulator, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    user = emulator.add_user("Layla", user_id=501, started=True).id
    reply = await api("setWebhook", url=url, secret_token=SECRET)
    assert reply.body == {"ok": True, "result": True, "description": "Webhook was set"}
    emulator.user_sends(user, "/start")
    await asyncio.wait_for(state.arrived.wait(), 3)
    headers, body = state.requests[0]
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
    assert headers["Content-Type"] == "application/json"
    assert body["message"]["text"] == "/start" and "update_id" in body
    await until(lambda: not emulator.updates)
    info = (await api("getWebhookInfo")).result
    assert info["url"] == url and info["pending_update_count"] == 0


async def test_failed_delivery_is_retried_and_reported_in_webhook_info(
    api: RawApi, emulator: Emulator, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.statuses = [500]
    user = emulator.add_user("Layla", user_id=501, started=True).id
    await api("setWebhook", url=url)
    emulator.user_sends(user, "hello")
    await until(lambda: len(state.requests) == 2 and not emulator.updates)
    assert "X-Telegram-Bot-Api-Secret-Token" not in state.requests[0][0]
    assert state.requests[0][1] == state.requests[1][1]
    info = (await api("getWebhookInfo")).result
    assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    assert [a.status for a in emulator.webhook_attempts] == [500, 200]


async def test_a_method_in_the_webhook_answer_is_executed(
    api: RawApi, emulator: Emulator, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    user = emulator.add_user("Layla", user_id=501, started=True).id
    state.reply = {"method": "sendMessage", "chat_id": user, "text": "pong"}
    await api("setWebhook", url=url)
    emulator.user_sends(user, "ping")
    messages = await emulator.wait_for_bot_messages(user, 1, 3)
    assert [m.text for m in messages] == ["pong"]


async def test_real_aiogram_webhook_handler_receives_updates_with_secret(
    server: EmulatorServer, tg: EmulatorClient
) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("<b>webhook ok</b>", parse_mode="HTML")

    bot = Bot(server.token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.url)))
    dp = Dispatcher()
    dp.include_router(router)
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=SECRET).register(app, path="/hook")
    runner, url = await run_app(app)
    try:
        assert await bot.set_webhook(url, secret_token=SECRET)
        await tg.create_user("Layla", user_id=601)
        await tg.start(601)
        [message] = await tg.wait_for_messages(601, 1)
        assert (message.text, message.entities) == (
            "webhook ok",
            [{"type": "bold", "offset": 0, "length": 10}],
        )
        hook = await tg.webhook()
        assert hook["attempts"][0]["status"] == 200
    finally:
        await runner.cleanup()
        await bot.session.close()
