"""A running newsroom for editor/API tests: the real Aajel app (HTTP server on a free port, editors,
ops chat) against the Bot API emulator and the sample newsroom, over real sockets.

Nothing of ours is mocked. Subscribers are seeded straight into the database (plus their emulator
users), which is quicker than driving /start for dozens of chats and is not what these tests test.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.app import Aajel
from bot.clock import SystemClock
from bot.config import Settings, load_settings
from bot.db.models import Subscriber, Subscription, Topic
from bot.demo.newsroom import SampleNewsroom
from bot.emulator import EmulatorServer
from bot.emulator.client import EmulatorClient, MessageView
from tests.e2e.conftest import wait_until
from tests.hangs import app_stopped

ADMIN = 5_000_001
"""The editor from EDITOR_IDS (an admin)."""
OPS_CHAT = 5_000_900
CMS_TOKEN = "cms-test-token-0123456789"
WEBHOOK_SECRET = "webhook_secret-ABC123"


@dataclass
class Newsroom:
    app: Aajel
    tg: EmulatorClient
    newsroom: SampleNewsroom
    settings: Settings
    http: aiohttp.ClientSession
    emulator: EmulatorServer

    @property
    def api(self) -> str:
        assert self.app.api is not None and self.app.api.port is not None
        return f"http://127.0.0.1:{self.app.api.port}"

    def auth(self, token: str = CMS_TOKEN) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def topic_id(self, slug: str) -> int:
        async with self.app.sessionmaker() as session:
            value = await session.scalar(select(Topic.id).where(Topic.slug == slug))
        assert value is not None
        return int(value)

    async def subscribers(
        self, count: int, topics: Sequence[str], *, language: str = "ar", first_id: int = 7_100_000
    ) -> list[int]:
        """``count`` started users, each subscribed to ``topics`` (seeded in the database)."""
        ids = [first_id + i for i in range(count)]
        for user_id in ids:
            await self.tg.create_user(
                f"reader{user_id}", user_id=user_id, language_code=language, started=True
            )
        topic_ids = [await self.topic_id(slug) for slug in topics]
        now = self.app.clock.now()
        async with self.app.sessionmaker() as session, session.begin():
            for user_id in ids:
                subscriber = Subscriber(
                    chat_id=user_id, kind="private", language=language, created_at=now, updated_at=now
                )
                session.add(subscriber)
                await session.flush()
                for topic_id in topic_ids:
                    session.add(Subscription(subscriber_id=subscriber.id, topic_id=topic_id, created_at=now))
        return ids

    async def reply(self, user_id: int, count: int, *, within: float = 15) -> MessageView:
        """The bot's ``count``-th message to ``user_id`` (1-based), waiting for it."""
        messages = await self.tg.wait_for_messages(user_id, count, within=within)
        return messages[count - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def running_newsroom(
    database_url: str,
    tmp_path: Path,
    *,
    webhook: bool = False,
    cms_token: str | None = CMS_TOKEN,
    global_rate: float = 200,
    **overrides: Any,
) -> AsyncIterator[Newsroom]:
    async with EmulatorServer() as server, SampleNewsroom(initial=3) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(interval_seconds=2), encoding="utf-8")
        port = free_port() if webhook else 0
        api: dict[str, Any] = {"host": "127.0.0.1", "port": port, "cms_token": cms_token}
        if webhook:
            api["webhook_url"] = f"http://127.0.0.1:{port}/telegram/webhook"
            api["webhook_secret"] = WEBHOOK_SECRET
        settings = load_settings(
            bot_token=server.token,
            telegram_api_url=server.url,
            database_url=database_url,
            sources_file=sources,
            editor_ids=[ADMIN],
            ops_chat_id=OPS_CHAT,
            articles={"allow_private_addresses": True},
            delivery={"global_rate": global_rate},
            api=api,
            _env_file=None,
            **overrides,
        )
        stop = asyncio.Event()
        async with (
            Aajel(settings, clock=SystemClock(), migrate=False, serve_api=True) as app,
            EmulatorClient(server.url) as tg,
            aiohttp.ClientSession() as http,
        ):
            await tg.create_user("Admin", user_id=ADMIN, language_code="en", started=True)
            await tg.create_user("Ops", user_id=OPS_CHAT, language_code="en", started=True)
            task = asyncio.create_task(app.run(stop, webhook=webhook))

            async def serving() -> bool:
                if task.done():
                    task.result()  # surface a start-up failure
                if app.api is None or app.api.port is None:
                    return False
                # in webhook mode the bot is ready once setWebhook went through, not before
                return not webhook or bool((await tg.webhook()).get("url"))

            try:
                await wait_until(serving, what="the HTTP server")
                yield Newsroom(app, tg, newsroom, settings, http, server)
            finally:
                stop.set()
                await app_stopped(task)


Predicate = Callable[[], Awaitable[bool]]

__all__ = ["ADMIN", "CMS_TOKEN", "OPS_CHAT", "WEBHOOK_SECRET", "Newsroom", "running_newsroom", "wait_until"]
