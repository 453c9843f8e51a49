"""The composition root: builds every long-lived object once and wires them together.

Nothing else constructs engines, HTTP sessions, the bot, the scheduler or the sender; everything
else receives them. Start-up order: database migrations → newsroom import → HTTP session → bot +
dispatcher → sender task → scheduler jobs (one per source) → long polling. Shutdown runs in reverse
and is safe to trigger at any point (Ctrl-C, ``--duration``, a test's ``stop`` event).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from bot.clock import Clock, SystemClock
from bot.commands import register_commands
from bot.config import Settings
from bot.db.migrate import upgrade_async
from bot.db.models import Source
from bot.db.session import create_engine, make_sessionmaker
from bot.delivery.sender import Sender
from bot.exceptions import ConfigError
from bot.middlewares import DbSessionMiddleware, LanguageMiddleware
from bot.pipeline import Poller
from bot.services.articles import ArticleReader
from bot.services.newsroom import import_newsroom
from bot.services.subscriptions import chat_language
from bot.sources.fetch import Fetcher
from bot.sources.spec import load_newsroom

log = logging.getLogger(__name__)


def make_bot(settings: Settings) -> Bot:
    if settings.bot_token is None:
        raise ConfigError("BOT_TOKEN", "not set (run `aajel demo` to try Aajel offline)")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode="HTML"),
    )


def make_dispatcher(app: Aajel) -> Dispatcher:
    from handlers import get_routers  # the composition root is the one place bot/ meets handlers/

    dp = Dispatcher(
        settings=app.settings,
        clock=app.clock,
        article_reader=app.article_reader,
        sender=app.sender,
    )
    dp.update.outer_middleware(DbSessionMiddleware(app.sessionmaker))
    language = LanguageMiddleware(app.sessionmaker, app.settings.default_language, chat_language)
    dp.message.middleware(language)
    dp.callback_query.middleware(language)
    dp.include_routers(*get_routers())
    return dp


class Aajel:
    """The running application. Use as ``async with Aajel(settings) as app: await app.run(stop)``."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._migrate = migrate
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Aajel:
        settings = self.settings
        if self._migrate:
            await upgrade_async(settings.database_url)
        self.engine = create_engine(settings.database_url)
        self._stack.push_async_callback(self.engine.dispose)
        self.sessionmaker = make_sessionmaker(self.engine)
        await self.sync_newsroom()
        self.http = aiohttp.ClientSession()
        self._stack.push_async_callback(self.http.close)
        self.bot = make_bot(settings)
        self._stack.push_async_callback(self.bot.session.close)
        self.fetcher = Fetcher(self.http, settings.polling, self.clock)
        self.article_reader = ArticleReader(self.sessionmaker, self.http, settings.articles, self.clock)
        self.sender = Sender(
            sessionmaker=self.sessionmaker, bot=self.bot, settings=settings, clock=self.clock
        )
        self.poller = Poller(
            sessionmaker=self.sessionmaker,
            fetcher=self.fetcher,
            clock=self.clock,
            settings=settings.polling,
            on_alerts=self._alerts_created,
        )
        self.dispatcher = make_dispatcher(self)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def _alerts_created(self, alert_ids: Sequence[int]) -> None:
        log.info("alerts planned: %s", ", ".join(map(str, alert_ids)))
        self.sender.wake()

    async def sync_newsroom(self) -> None:
        path = self.settings.sources_file
        if not path.exists():
            log.warning("sources file %s not found: no sources will be polled", path)
            return
        newsroom = load_newsroom(path)
        async with self.sessionmaker() as session, session.begin():
            result = await import_newsroom(session, newsroom, self.clock)
        log.info("newsroom imported from %s: %s", path, result)

    async def schedule_sources(self) -> int:
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(select(Source.id, Source.interval_seconds).where(Source.enabled))
            ).all()
        jitter = self.settings.polling.jitter_fraction
        for source_id, interval in rows:
            self.scheduler.add_job(
                self.poller.poll,
                IntervalTrigger(seconds=interval, jitter=max(0.0, interval * jitter) or None),
                args=[source_id],
                id=f"source:{source_id}",
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                next_run_time=self.clock.now(),
            )
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Run everything until ``stop`` is set."""
        me = await self.bot.get_me()
        log.info("bot @%s (id %s) talking to %s", me.username, me.id, self.settings.telegram_api_url)
        await register_commands(self.bot)
        sender_task = asyncio.create_task(self.sender.run(stop), name="sender")
        count = await self.schedule_sources()
        self.scheduler.start()
        log.info("polling %d sources", count)
        polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot, handle_signals=False, close_bot_session=False, polling_timeout=10
            ),
            name="polling",
        )
        try:
            await stop.wait()
        finally:
            self.scheduler.shutdown(wait=False)
            with contextlib.suppress(RuntimeError):
                await self.dispatcher.stop_polling()
            await _finish(polling, sender_task)


async def _finish(*tasks: asyncio.Task[Any]) -> None:
    for task in tasks:
        if not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
