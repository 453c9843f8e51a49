"""The composition root: builds every long-lived object once and wires them together.

Nothing else constructs engines, HTTP sessions, the bot, the scheduler or the sender; everything
else receives them. Start-up order: (SQLite: the one-instance lock) → database migrations → newsroom
import → HTTP session → bot + dispatcher → scheduler (source claims, :mod:`bot.coord.sources`) → HTTP
server → leadership (:mod:`bot.coord.leader`): once this instance holds the leader lock, the sender
task, digests, ops checks, progress panels and long polling start; a standby runs none of them.
Shutdown runs in reverse and is safe to trigger at any point (Ctrl-C, ``--duration``, a test's
``stop`` event).

Editors and ops: ``EDITOR_IDS`` are seeded as admin editors at start-up and every editor gets the
editors' command menu in their private chat; the :class:`~bot.progress.ProgressTracker` resumes
alerts still in flight; with ``OPS_CHAT_ID`` an ops job runs every ``OPS_CHECK_SECONDS``. The aiohttp
server (:mod:`bot.api`: CMS API, ``/healthz``, ``/metrics``) starts when ``serve_api`` is set (``aajel
run``) or in webhook mode, where it also receives Telegram's updates instead of long polling
(setWebhook with a secret token on start, deleteWebhook on stop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.api.server import ApiServer, WebhookRoute, database_alive
from bot.clock import Clock, SystemClock
from bot.commands import register_commands, register_editor_commands
from bot.config import Settings
from bot.coord import Leadership, SourceScheduler, bot_id, single_instance_guard, webhook_secret
from bot.coord.sources import TICK_SECONDS
from bot.db.migrate import upgrade_async
from bot.db.session import create_engine, make_sessionmaker
from bot.delivery.sender import Sender
from bot.delivery.sender import _warm_up as warm_sender
from bot.exceptions import ConfigError
from bot.middlewares import DbSessionMiddleware, LanguageMiddleware
from bot.ops import OpsNotifier
from bot.pipeline import Poller
from bot.progress import ProgressTracker
from bot.scheduling import JOB_ID as RECONCILE_JOB
from bot.scheduling import Reconciler
from bot.services.articles import ArticleReader
from bot.services.digest import Digester
from bot.services.editors import editor_ids, seed_editors
from bot.services.newsroom import import_newsroom
from bot.services.subscriptions import chat_language
from bot.sources.fetch import Fetcher
from bot.sources.spec import load_newsroom

log = logging.getLogger(__name__)

OPS_CHECK_SECONDS = 30.0
"""How often the ops chat's notices (sources unhealthy/stale, bulk failures) are looked for."""

DIGEST_TICK_SECONDS = 60.0
"""How often due digests are looked for (each subscriber still gets one at most every DIGEST_MINUTES)."""


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
        progress=app.progress,
    )
    dp.update.outer_middleware(DbSessionMiddleware(app.sessionmaker))
    language = LanguageMiddleware(app.sessionmaker, app.settings.default_language, chat_language)
    dp.message.middleware(language)
    dp.callback_query.middleware(language)
    dp.include_routers(*get_routers())
    return dp


class Aajel:
    """The running application. Use as ``async with Aajel(settings) as app: await app.run(stop)``."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        migrate: bool = True,
        serve_api: bool = False,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._migrate = migrate
        # the HTTP server (CMS API, /healthz, /metrics) binds API__HOST:API__PORT; `aajel run` turns it
        # on, embedded uses (tests, the demo) opt in so they never fight over a fixed port
        self.serve_api = serve_api
        self.api: ApiServer | None = None
        self.ops: OpsNotifier | None = None
        self.sender_task: asyncio.Task[None] | None = None
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Aajel:
        settings = self.settings
        guard = single_instance_guard(settings.database_url)  # SQLite: one instance per file
        if guard is not None:
            self._stack.callback(guard.release)
        if self._migrate:
            await upgrade_async(settings.database_url)
        self.engine = create_engine(settings.database_url)
        self._stack.push_async_callback(self.engine.dispose)
        self.sessionmaker = make_sessionmaker(self.engine)
        await self.sync_newsroom()
        await self.seed_editors()
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
        self.digester = Digester(
            sessionmaker=self.sessionmaker,
            clock=self.clock,
            minutes=settings.digest_minutes,
            on_created=self._alerts_created,
        )
        self.progress = ProgressTracker(
            sessionmaker=self.sessionmaker,
            bot=self.bot,
            clock=self.clock,
            default_language=settings.default_language,
        )
        self._stack.push_async_callback(self.progress.close)
        if settings.ops_chat_id is not None:
            self.ops = OpsNotifier(
                sessionmaker=self.sessionmaker,
                bot=self.bot,
                clock=self.clock,
                chat_id=settings.ops_chat_id,
                lang=settings.default_language,
            )
        self.dispatcher = make_dispatcher(self)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        # several instances (bot.coord): one leader long-polls, sends and runs the singleton jobs;
        # every instance polls its share of the sources
        self.instance = f"aajel-{uuid.uuid4().hex[:8]}"
        token = settings.bot_token.get_secret_value() if settings.bot_token else None
        self.leadership = Leadership(self.engine, bot=bot_id(token), name=self.instance)
        self._stack.push_async_callback(self.leadership.close)
        self.sources = SourceScheduler(
            sessionmaker=self.sessionmaker,
            poll=self.poller.poll,
            clock=self.clock,
            settings=settings.polling,
            owner=self.instance,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def _alerts_created(self, alert_ids: Sequence[int]) -> None:
        log.info("alerts planned: %s", ", ".join(map(str, alert_ids)))
        self.sender.wake()

    async def seed_editors(self) -> None:
        """EDITOR_IDS become admin editors (idempotent; editors added from Telegram stay)."""
        async with self.sessionmaker() as session, session.begin():
            changed = await seed_editors(session, self.settings.editor_ids, self.clock)
        if changed:
            log.info("editors from EDITOR_IDS seeded: %d", changed)

    async def _editor_menus(self) -> None:
        """Each editor's private chat gets the editors' command menu (failures are logged, not fatal)."""
        async with self.sessionmaker() as session:
            ids = await editor_ids(session)
        for telegram_id in ids:
            try:
                await register_editor_commands(self.bot, telegram_id)
            except (TelegramAPIError, TelegramNetworkError) as e:
                log.warning("editor %s: command menu not set: %s", telegram_id, e)

    def _health_checks(self) -> dict[str, Callable[[], Awaitable[bool]]]:
        async def database() -> bool:
            return await database_alive(self.sessionmaker)

        async def scheduler() -> bool:
            return bool(self.scheduler.running)

        async def sender() -> bool:
            if not self.leadership.is_leader:
                return True  # a standby sends nothing (bot.coord.leader)
            task = self.sender_task
            return task is None or not task.done()  # None: the leader's sender is starting

        return {"database": database, "scheduler": scheduler, "sender": sender}

    def _webhook_route(self) -> tuple[WebhookRoute, str]:
        url = self.settings.api.webhook_url
        if not url:
            raise ConfigError("API__WEBHOOK_URL", "required for webhook mode (aajel run --webhook)")
        configured = self.settings.api.webhook_secret
        # Telegram echoes the secret on every call; without a configured one, a fresh random one per run
        # every instance behind the load balancer must accept the same secret (bot.coord.webhook_secret)
        token = self.settings.bot_token.get_secret_value() if self.settings.bot_token else ""
        secret = configured.get_secret_value() if configured is not None else webhook_secret(token)
        path = urlsplit(url).path or "/telegram/webhook"
        return WebhookRoute(path=path, dispatcher=self.dispatcher, bot=self.bot, secret=secret), url

    async def _start_http(self, webhook: bool) -> str | None:
        """Start the aiohttp server (and in webhook mode setWebhook); returns the webhook URL if set."""
        route, url = self._webhook_route() if webhook else (None, None)
        self.api = ApiServer(
            settings=self.settings,
            sessionmaker=self.sessionmaker,
            clock=self.clock,
            wake=self.sender.wake,
            checks=self._health_checks(),
            webhook=route,
        )
        try:
            await self.api.start()
        except OSError as e:
            raise ConfigError(
                "API__PORT", f"cannot listen on {self.settings.api.host}:{self.settings.api.port}: {e}"
            ) from e
        if route is None or url is None:
            return None
        await self.bot.set_webhook(
            url,
            secret_token=route.secret,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        )
        log.info("webhook set: Telegram posts updates to %s", url)
        return url

    async def _stop_http(self, webhook_url: str | None) -> None:
        if webhook_url is not None and await self._last_instance():
            try:
                await self.bot.delete_webhook()
                log.info("webhook deleted")
            except (TelegramAPIError, TelegramNetworkError) as e:
                log.warning("deleteWebhook failed: %s", e)
        if self.api is not None:
            await self.api.stop()

    async def _last_instance(self) -> bool:
        """Are we the only live instance (then stopping may delete the webhook)?"""
        try:
            return await self.leadership.members() <= 1
        except Exception:
            return False  # unsure: leave the webhook set (updates wait at Telegram, nothing is lost)

    async def sync_newsroom(self) -> None:
        path = self.settings.sources_file
        if not path.exists():
            log.warning("sources file %s not found: no sources will be polled", path)
            return
        newsroom = load_newsroom(path)
        async with self.sessionmaker() as session, session.begin():
            result = await import_newsroom(session, newsroom, self.clock)
        log.info("newsroom imported from %s: %s", path, result)

    async def run(self, stop: asyncio.Event, *, webhook: bool = False) -> None:
        """Run everything until ``stop`` is set: long polling, or (``webhook``) updates over HTTP.

        Every instance polls its share of the sources and serves HTTP; the leader's duties
        (:meth:`_lead`) run only while this instance holds the leader lock (:mod:`bot.coord`).
        """
        me = await self.bot.get_me()
        log.info("bot @%s (id %s) talking to %s", me.username, me.id, self.settings.telegram_api_url)
        self.scheduler.add_job(
            self.sources.tick,
            IntervalTrigger(seconds=TICK_SECONDS),
            id="sources",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=self.clock.now(),
        )
        self.scheduler.start()
        leading = asyncio.create_task(
            self.leadership.run(stop, lambda resign: self._lead(resign, webhook=webhook)), name="leadership"
        )
        # a hot standby: pay the sender's one-off warm-up (aiogram types, gc.freeze) now, not at takeover
        warm_sender(self.settings)
        await _wait_first(self.leadership.decided, stop)  # leader or standby: known before serving
        webhook_url = await self._start_http(webhook) if (webhook or self.serve_api) else None
        try:
            await stop.wait()
        finally:
            self.scheduler.shutdown(wait=False)
            await _finish(leading, grace=15)  # the leader's own parts each get 5 s (see _lead)
            await self.sources.aclose()
            await self._stop_http(webhook_url)

    async def _lead(self, resign: asyncio.Event, *, webhook: bool) -> None:
        """The leader's duties, until ``resign``: sender, getUpdates, digests, ops, progress panels."""
        sender_task = self.sender_task = asyncio.create_task(self.sender.run(resign), name="sender")
        await register_commands(self.bot)
        await self._editor_menus()
        if self.ops is not None:
            self.scheduler.add_job(
                self.ops.check,
                IntervalTrigger(seconds=OPS_CHECK_SECONDS),
                id="ops",
                replace_existing=True,
                max_instances=1,
                coalesce=True,
            )
        await self.progress.resume()
        Reconciler.install(self)  # live configuration: follows `aajel sources import` (bot/scheduling.py)
        self.scheduler.add_job(
            self.digester.run_once,
            IntervalTrigger(seconds=DIGEST_TICK_SECONDS),
            id="digests",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )
        polling = (
            None
            if webhook
            else asyncio.create_task(
                self.dispatcher.start_polling(
                    self.bot, handle_signals=False, close_bot_session=False, polling_timeout=10
                ),
                name="polling",
            )
        )
        try:
            await resign.wait()
        finally:
            for job in ("ops", "digests", RECONCILE_JOB):
                with contextlib.suppress(Exception):
                    self.scheduler.remove_job(job)
            if polling is not None:
                with contextlib.suppress(RuntimeError):
                    await self.dispatcher.stop_polling()
            await self.progress.close()
            await _finish(*(task for task in (polling, sender_task) if task is not None))
            self.sender_task = None


async def _wait_first(*events: asyncio.Event) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


async def _finish(*tasks: asyncio.Task[Any], grace: float = 5) -> None:
    for task in tasks:
        if not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=grace)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
