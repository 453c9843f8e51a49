"""The composition root: builds every long-lived object once and wires them together.

Nothing else constructs engines, HTTP sessions, the bot or the dispatcher; everything else receives
them. The long-lived tasks — sender, poll jobs, digests, progress panels, ops checks and the pulse,
command menus, the HTTP server, long polling or the webhook — are built and supervised by
:class:`bot.workers.runner.Workers`; this module only hands them what they need.

Start-up order: (SQLite: the one-instance lock) → database migrations → newsroom import → editors
seeded → HTTP session → bot → workers → dispatcher; :meth:`Aajel.run` checks the token (getMe) and
runs the workers until ``stop``. Shutdown runs in reverse and is safe to trigger at any point (Ctrl-C,
``--duration``, a test's ``stop`` event).

Editors: ``EDITOR_IDS`` are seeded as admin editors at start-up. Start-up problems a user can fix
(token refused, Telegram unreachable, port in use, bad webhook URL) end with a
:class:`~bot.exceptions.ConfigError` naming the key; a supervised task that cannot come back ends
:meth:`Aajel.run` with :class:`~bot.exceptions.TaskFailed` (non-zero exit).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)

from bot.api.health import ReportingApiServer
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.coord import single_instance_guard
from bot.db.migrate import upgrade_async
from bot.db.session import create_engine, make_sessionmaker
from bot.exceptions import ConfigError, TaskFailed
from bot.middlewares import DbSessionMiddleware, LanguageMiddleware, UnavailableMiddleware
from bot.services.articles import ArticleReader
from bot.services.editors import seed_editors
from bot.services.newsroom import import_newsroom
from bot.services.subscriptions import chat_language
from bot.sources.fetch import Fetcher
from bot.sources.spec import load_newsroom
from bot.supervisor import Supervisor
from bot.workers.runner import Workers

log = logging.getLogger(__name__)

GIL_SWITCH_SECONDS = 0.001
"""The interpreter's thread switch interval for ``aajel run`` (CPython's default is 5 ms). Huge feeds
are parsed in a worker thread; a shorter interval hands the event loop (user commands, the sender)
the GIL sooner — measured in bench/contention.py."""


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

    dispatcher = Dispatcher(
        settings=app.settings,
        clock=app.clock,
        article_reader=app.article_reader,
        sender=app.sender,
        progress=app.progress,
    )
    dispatcher.update.outer_middleware(
        UnavailableMiddleware(app.clock)
    )  # before the session: sees its failures
    dispatcher.update.outer_middleware(DbSessionMiddleware(app.sessionmaker))
    language = LanguageMiddleware(app.sessionmaker, app.settings.default_language, chat_language)
    dispatcher.message.middleware(language)
    dispatcher.callback_query.middleware(language)
    dispatcher.include_routers(*get_routers())
    return dispatcher


class Aajel:
    """The running application. Use as ``async with Aajel(settings) as app: await app.run(stop)``.

    The workers' parts are exposed under their usual names (``sender``, ``progress``, ``digester``,
    ``ops``, ``scheduler``, ``supervisor``, ``api`` …) for the dispatcher, the demo and tests.
    """

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
        self._no_sources = "no enabled source in the database"
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
        self.article_reader = ArticleReader(self.sessionmaker, self.http, settings.articles, self.clock)
        self.workers = Workers(
            settings=settings,
            clock=self.clock,
            engine=self.engine,
            sessionmaker=self.sessionmaker,
            bot=self.bot,
            fetcher=Fetcher(self.http, settings.polling, self.clock),
            no_sources_reason=self._no_sources,
        )
        self._stack.push_async_callback(self.workers.aclose)
        workers = self.workers
        self.sender, self.poller, self.digester = workers.sender, workers.poller, workers.digester
        self.progress, self.ops, self.pulse = workers.progress, workers.ops, workers.pulse
        self.scheduler, self.leadership, self.sources = workers.scheduler, workers.leadership, workers.sources
        self.instance = workers.instance
        self.dispatcher = make_dispatcher(self)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    @property
    def supervisor(self) -> Supervisor:
        return self.workers.supervisor

    @property
    def sender_task(self) -> asyncio.Task[None] | None:
        """The supervised sender (``None`` before :meth:`run`)."""
        return self.workers.sender_task

    @property
    def api(self) -> ReportingApiServer | None:
        """The HTTP server, once :meth:`run` started it (``serve_api`` or webhook mode)."""
        return self.workers.http.api

    @property
    def sources_configured(self) -> int:
        return self.workers.sources_configured

    async def seed_editors(self) -> None:
        """EDITOR_IDS become admin editors (idempotent; editors added from Telegram stay)."""
        async with self.sessionmaker() as session, session.begin():
            changed = await seed_editors(session, self.settings.editor_ids, self.clock)
        if changed:
            log.info("editors from EDITOR_IDS seeded: %d", changed)

    async def sync_newsroom(self) -> None:
        path = self.settings.sources_file
        if not path.exists():
            if "sources_file" in self.settings.model_fields_set:  # set on purpose: a mistake to fix
                raise ConfigError("SOURCES_FILE", f"{path} does not exist")
            self._no_sources = f"{path} not found"  # said once, by run()
            return
        newsroom = load_newsroom(path)
        async with self.sessionmaker() as session, session.begin():
            result = await import_newsroom(session, newsroom, self.clock)
        log.info("newsroom imported from %s: %s", path, result)

    async def _hello(self) -> None:
        """getMe: the token and TELEGRAM_API_URL work, or one line says which does not."""
        url = self.settings.telegram_api_url
        try:
            me = await self.bot.get_me()
        except TelegramUnauthorizedError:
            raise ConfigError("BOT_TOKEN", f"{url} refused the token (Unauthorized): check it") from None
        except TelegramNotFound:
            raise ConfigError(
                "BOT_TOKEN",
                f"{url} does not know this token (Not Found): check BOT_TOKEN and TELEGRAM_API_URL",
            ) from None
        except TelegramNetworkError as e:
            raise ConfigError("TELEGRAM_API_URL", f"cannot reach {url}: {e}") from None
        except TelegramAPIError as e:
            raise ConfigError("TELEGRAM_API_URL", f"{url} answered getMe with an error: {e}") from None
        log.info("bot @%s (id %s) talking to %s", me.username, me.id, url)

    async def run(self, stop: asyncio.Event, *, webhook: bool = False) -> None:
        """Run everything until ``stop`` is set: long polling, or (``webhook``) updates over HTTP.

        Raises :class:`~bot.exceptions.TaskFailed` when a supervised task could not come back.
        """
        await self._hello()
        await self.workers.run(stop, self.dispatcher, webhook=webhook, serve_http=self.serve_api)
        if self.supervisor.fatal is not None:
            raise TaskFailed(self.supervisor.fatal)
