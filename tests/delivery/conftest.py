"""Delivery test harness: a real database (SQLite and PostgreSQL), the Bot API emulator over HTTP, and
the real :class:`~bot.delivery.sender.Sender`. Nothing of ours is mocked.

``world`` gives a :class:`World`: seed topics/subscribers/channels (and the matching emulator users and
chats), create and plan alerts through the real services, build senders with delivery settings, and
read the outbox back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.config import Settings, load_settings
from bot.db.models import Channel, Delivery, Subscriber, Subscription, Topic
from bot.delivery.sender import Sender
from bot.domain import AlertRequest, ChatKind, Urgency
from bot.emulator import Emulator, EmulatorClient, EmulatorServer
from bot.services.alerts import create_alert, plan_deliveries


class ShiftClock(SystemClock):
    """Real time plus an offset that tests move forward (monotonic time stays real)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return super().now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class World:
    server: EmulatorServer
    tg: EmulatorClient
    sessionmaker: async_sessionmaker[AsyncSession]
    db_url: str
    clock: ShiftClock
    topics: dict[str, int] = field(default_factory=dict)
    _bots: list[Bot] = field(default_factory=list)

    @property
    def emulator(self) -> Emulator:
        return self.server.emulator

    def settings(self, **delivery: Any) -> Settings:
        return load_settings(
            bot_token=self.server.token,
            telegram_api_url=self.server.url,
            database_url=self.db_url,
            delivery={"global_rate": 500, "per_chat_interval_seconds": 0, **delivery},
            _env_file=None,
        )

    def sender(
        self,
        *,
        clock: Clock | None = None,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
        **delivery: Any,
    ) -> Sender:
        """A sender with these delivery settings; ``sessionmaker``: another engine (like another process)."""
        settings = self.settings(**delivery)
        bot = Bot(self.server.token, session=AiohttpSession(api=TelegramAPIServer.from_base(self.server.url)))
        self._bots.append(bot)
        return Sender(
            sessionmaker=sessionmaker or self.sessionmaker,
            bot=bot,
            settings=settings,
            clock=clock or self.clock,
        )

    async def topic(self, slug: str) -> int:
        if slug not in self.topics:
            async with self.sessionmaker() as session, session.begin():
                topic = Topic(slug=slug, name_ar=f"{slug}-ar", name_en=f"{slug}-en")
                session.add(topic)
                await session.flush()
                self.topics[slug] = topic.id
        return self.topics[slug]

    async def subscribers(
        self,
        chat_ids: list[int],
        topics: tuple[str, ...] = ("politics",),
        *,
        level: str = "urgent",
        language: str = "ar",
        timezone: str = "UTC",
        quiet: tuple[int, int] | None = None,
        thread_id: int = 0,
        in_emulator: bool = True,
    ) -> None:
        """Subscribers (private chats for positive ids, groups for negative ones) and their emulator chats."""
        topic_ids = [await self.topic(slug) for slug in topics]
        async with self.sessionmaker() as session, session.begin():
            for chat_id in chat_ids:
                kind = ChatKind.PRIVATE if chat_id > 0 else ChatKind.GROUP
                subscriber = Subscriber(
                    chat_id=chat_id,
                    kind=kind,
                    language=language,
                    timezone=timezone,
                    quiet_start=quiet[0] if quiet else None,
                    quiet_end=quiet[1] if quiet else None,
                )
                session.add(subscriber)
                await session.flush()
                for topic_id in topic_ids:
                    session.add(
                        Subscription(
                            subscriber_id=subscriber.id, topic_id=topic_id, level=level, thread_id=thread_id
                        )
                    )
        if in_emulator:
            for chat_id in chat_ids:
                if chat_id > 0 and chat_id not in self.emulator.users:
                    self.emulator.add_user(f"user{chat_id}", user_id=chat_id, started=True)

    async def channel(self, chat_id: int, topics: tuple[str, ...] = ("politics",), thread_id: int = 0) -> int:
        topic_rows = [await self.topic(slug) for slug in topics]
        async with self.sessionmaker() as session, session.begin():
            loaded = list(await session.scalars(select(Topic).where(Topic.id.in_(topic_rows))))
            channel = Channel(chat_id=chat_id, thread_id=thread_id, title=f"channel {chat_id}", topics=loaded)
            session.add(channel)
            await session.flush()
            return channel.id

    async def alert(
        self,
        headline: str = "عاجل: خبر",
        urgency: Urgency = Urgency.URGENT,
        topics: tuple[str, ...] = ("politics",),
        **kw: Any,
    ) -> int:
        for slug in topics:
            await self.topic(slug)
        async with self.sessionmaker() as session, session.begin():
            planned = await create_alert(session, AlertRequest(headline, urgency, topics, **kw), self.clock)
            await plan_deliveries(session, planned.alert_id, self.clock)
            return planned.alert_id

    async def deliveries(self, alert_id: int | None = None) -> list[Delivery]:
        async with self.sessionmaker() as session:
            query = select(Delivery).order_by(Delivery.id)
            if alert_id is not None:
                query = query.where(Delivery.alert_id == alert_id)
            return list(await session.scalars(query))

    async def subscriber(self, chat_id: int) -> Subscriber | None:
        async with self.sessionmaker() as session:
            return await session.scalar(select(Subscriber).where(Subscriber.chat_id == chat_id))

    def bot_texts(self, chat_id: int) -> list[str]:
        return [m.text or "" for m in self.emulator.bot_messages(chat_id)]

    async def close(self) -> None:
        for bot in self._bots:
            await bot.session.close()


@pytest.fixture
async def world(
    migrated_db_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[World]:
    async with EmulatorServer() as server, EmulatorClient(server.url) as tg:
        world = World(server, tg, session_factory, migrated_db_url, ShiftClock())
        try:
            yield world
        finally:
            await world.close()


async def eventually(
    predicate: Callable[[], Awaitable[bool]], *, within: float = 10.0, what: str = ""
) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what or predicate}")
        await asyncio.sleep(0.02)
