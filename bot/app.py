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

Supervision (issue 9): every long-lived task — sender, scheduler (poll jobs), digests, ops checks and
the pulse, progress resume, command menus, HTTP server, long polling — runs under one
:class:`~bot.supervisor.Supervisor`: a crash is logged with its traceback, counted
(``aajel_task_restarts_total``), told to the ops chat and restarted with capped backoff; a task that
cannot come back ends :meth:`Aajel.run` with :class:`~bot.exceptions.TaskFailed` (non-zero exit).
Database outages are not crashes: periodic jobs log them once per outage and try again on their next
tick; the sender waits for the database itself. Start-up problems a user can fix (token refused,
Telegram unreachable, port in use, bad webhook URL) end with a :class:`~bot.exceptions.ConfigError`
naming the key; command menus are cosmetic and retried in the background, never fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

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
from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from bot import metrics
from bot.api.health import HealthReport, ReportingApiServer
from bot.api.server import WebhookRoute, database_alive
from bot.clock import Clock, SystemClock
from bot.commands import register_commands, register_editor_commands
from bot.config import Settings
from bot.coord import Leadership, SourceScheduler, bot_id, single_instance_guard, webhook_secret
from bot.coord.sources import TICK_SECONDS
from bot.db.migrate import upgrade_async
from bot.db.models import Source
from bot.db.session import create_engine, is_database_unavailable, make_sessionmaker
from bot.delivery.requests import warm_up as warm_sender
from bot.delivery.sender import Sender
from bot.exceptions import ConfigError, TaskFailed
from bot.middlewares import DbSessionMiddleware, LanguageMiddleware, UnavailableMiddleware
from bot.ops import NO_SOURCES, OpsNotifier, PulseMonitor
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
from bot.supervisor import HEALTHY, Supervisor, every, wait_forever

log = logging.getLogger(__name__)

OPS_CHECK_SECONDS = 30.0
"""How often the ops chat's notices (sources unhealthy/stale, bulk failures) are looked for."""

DIGEST_TICK_SECONDS = 60.0
"""How often due digests are looked for (each subscriber still gets one at most every DIGEST_MINUTES)."""

SCHEDULER_WATCH_SECONDS = 5.0
"""How often the supervisor's scheduler task checks that APScheduler (the poll jobs) still runs."""

MENU_RETRY_SECONDS = (5.0, 15.0, 60.0, 300.0, 900.0)
"""Command menus (setMyCommands) are retried after these pauses, then given up with a warning."""

HEALTH_DB_TIMEOUT = 2.0

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

    dp = Dispatcher(
        settings=app.settings,
        clock=app.clock,
        article_reader=app.article_reader,
        sender=app.sender,
        progress=app.progress,
    )
    dp.update.outer_middleware(UnavailableMiddleware(app.clock))  # before the session: sees its failures
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
        self.api: ReportingApiServer | None = None
        self.ops: OpsNotifier | None = None
        self.supervisor = Supervisor(clock=self.clock, notify=self._tell_ops)
        self.sources_configured = 0
        self._no_sources = "no enabled source in the database"
        self._outages: set[str] = set()  # periodic jobs currently failing on the database
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
        self.pulse = PulseMonitor(
            sessionmaker=self.sessionmaker,
            clock=self.clock,
            settings=settings.pulse,
            last_send=lambda: self.sender.last_send_at,
            bot=self.bot if settings.ops_chat_id is not None else None,
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
        self.scheduler.add_listener(self._job_failed, EVENT_JOB_ERROR)
        return self

    @property
    def sender_task(self) -> asyncio.Task[None] | None:
        """The supervised sender (``None`` before :meth:`run`)."""
        return self.supervisor.task("sender")

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

    async def _menus(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """setMyCommands for everyone and for editors, retried in the background; never fatal.

        The command menu is cosmetic: a Bot API server without the method, or a transient error,
        must not stop the bot (issue 9). After :data:`MENU_RETRY_SECONDS` run out it gives up loudly.
        """
        for pause in (*MENU_RETRY_SECONDS, None):
            try:
                await register_commands(self.bot)
                await self._editor_menus()
                return
            except Exception as e:
                if pause is None:
                    log.warning("command menus not set, giving up (the bot works without them): %s", e)
                    return
                log.warning("command menus not set (%s); retrying in %.0fs", e, pause)
                await sleep(pause)

    async def _tell_ops(self, text: str) -> None:
        if self.settings.ops_chat_id is not None:
            await self.bot.send_message(self.settings.ops_chat_id, text, parse_mode=None)

    def _job_failed(self, event: JobExecutionEvent) -> None:
        """A poll job raised (APScheduler has logged the traceback): count it; the next tick retries."""
        job = str(event.job_id).split(":", 1)[0]
        metrics.JOB_ERRORS.labels(job=job).inc()

    def _tolerant(self, name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        """``job`` for :func:`~bot.supervisor.every`: a database outage is logged once per outage and
        waits for the next tick; anything else is a crash for the supervisor."""

        async def run() -> None:
            try:
                await job()
            except Exception as e:
                if not is_database_unavailable(e):
                    raise
                if name not in self._outages:
                    log.error("%s: database unavailable (%s); trying again every tick", name, e)
                    self._outages.add(name)
                return
            if name in self._outages:
                log.warning("%s: database available again", name)
                self._outages.discard(name)

        return run

    def _until_database(self, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        """``job`` retried every second while the database is unavailable (an outage is not a crash:
        the supervisor's growing backoff would delay it long after the database is back)."""

        async def run() -> None:
            reported = False
            while True:
                try:
                    await job()
                    return
                except Exception as e:
                    if not is_database_unavailable(e):
                        raise
                    if not reported:
                        log.warning("waiting for the database: %s", e)
                        reported = True
                    await asyncio.sleep(1.0)

        return run

    async def health(self) -> HealthReport:
        """What ``/healthz`` says: the database, every supervised task, sources and the pulse."""
        checks: dict[str, str] = {}
        down: list[str] = []
        degraded: list[str] = []
        try:
            db_ok = await asyncio.wait_for(database_alive(self.sessionmaker), HEALTH_DB_TIMEOUT)
        except Exception:
            db_ok = False
        metrics.DATABASE_UP.set(1 if db_ok else 0)
        checks["database"] = "ok" if db_ok else "down"
        for name, state in self.supervisor.states().items():
            checks[name] = "ok" if state in HEALTHY else state
        if not self.scheduler.running:  # the poll jobs' scheduler itself, whatever its watchdog task says
            checks["scheduler"] = "down"
        checks.setdefault("scheduler", "ok")
        down = [name for name, state in checks.items() if state != "ok"]
        checks["sources"] = "ok" if self.sources_configured else NO_SOURCES
        if db_ok:
            try:
                reading = await asyncio.wait_for(self.pulse.read(), HEALTH_DB_TIMEOUT)
            except Exception as e:
                log.warning("pulse not read: %s", e)
            else:
                checks["pulse_sources"] = "ok" if reading.sources == NO_SOURCES else reading.sources
                checks["pulse_deliveries"] = reading.deliveries
                degraded = reading.weak
        return HealthReport(checks=checks, down=down, degraded=degraded)

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
        self.api = ReportingApiServer(
            settings=self.settings,
            sessionmaker=self.sessionmaker,
            clock=self.clock,
            wake=self.sender.wake,
            report=self.health,
            webhook=route,
        )
        host, port = self.settings.api.host, self.settings.api.port
        try:
            await self.api.start()
        except OSError as e:
            await self.api.stop()
            raise _listen_error(host, port, e) from None
        if route is None or url is None:
            return None
        try:
            await self.bot.set_webhook(
                url,
                secret_token=route.secret,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
        except (TelegramAPIError, TelegramNetworkError) as e:
            await self.api.stop()
            raise ConfigError("API__WEBHOOK_URL", f"Telegram refused setWebhook for {url}: {e}") from None
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

    async def _watch_scheduler(self) -> None:
        """The poll jobs live in APScheduler: (re)start it, then make sure it keeps running."""
        if not self.scheduler.running:
            self.scheduler.start()
        while True:
            await asyncio.sleep(SCHEDULER_WATCH_SECONDS)
            if not self.scheduler.running:
                raise RuntimeError("the scheduler (poll jobs) stopped")

    async def _ops_round(self) -> None:
        await self.pulse.check()
        if self.ops is not None:
            await self.ops.check()

    async def _serve_http(self) -> None:
        """The aiohttp server runs on its own; this task restarts it if it was stopped underneath."""
        if self.api is not None and self.api.port is None:
            await self.api.start()
        await wait_forever()

    async def _count_sources(self) -> int:
        async with self.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).where(Source.enabled)) or 0)

    async def run(self, stop: asyncio.Event, *, webhook: bool = False) -> None:
        """Run everything until ``stop`` is set: long polling, or (``webhook``) updates over HTTP.

        Every instance polls its share of the sources and serves HTTP; the leader's duties
        (:meth:`_lead`) run only while this instance holds the leader lock (:mod:`bot.coord`). Every
        long-lived part runs under :attr:`supervisor`. Raises :class:`~bot.exceptions.TaskFailed` when
        a supervised task could not come back.
        """
        await self._hello()
        sup = self.supervisor
        sup.stop_event = stop
        webhook_url: str | None = None
        try:
            self.sources_configured = count = await self._count_sources()
            self.scheduler.add_job(
                self.sources.tick,
                IntervalTrigger(seconds=TICK_SECONDS),
                id="sources",
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                next_run_time=self.clock.now(),
            )
            # the poll claims first: /healthz, served from the next lines on, finds the scheduler running
            self.scheduler.start()
            sup.start("scheduler", self._watch_scheduler)
            # bind before anything else starts: a port in use or a refused webhook ends start-up cleanly
            webhook_url = await self._start_http(webhook) if (webhook or self.serve_api) else None
            sup.start(
                "leadership",
                lambda: self.leadership.run(stop, lambda resign: self._lead(resign, webhook=webhook)),
            )
            # a hot standby: pay the sender's one-off warm-up (aiogram types, gc.freeze) now, not at takeover
            warm_sender(self.settings)
            await _wait_any(self.leadership.decided, stop, sup.failed)  # leader or standby: known first
            if count:
                log.info("%d sources configured", count)
            else:
                log.warning(
                    "no sources configured (%s): nothing is polled; editors' and CMS alerts still work. "
                    "Set SOURCES_FILE to a sources file (see docs/sources.md).",
                    self._no_sources,
                )
            if webhook_url is not None or self.serve_api:
                sup.start("http", self._serve_http)
            await _wait_any(stop, sup.failed)
        finally:
            stop.set()  # the leader resigns: its sender and long polling wind down on their own
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            await _finish_jobs(5.0)
            await sup.stop(15.0, graceful=("leadership",))  # the leader's own parts each get 5 s
            await self.sources.aclose()
            await self._stop_http(webhook_url)
        if sup.fatal is not None:
            raise TaskFailed(sup.fatal)

    async def _lead(self, resign: asyncio.Event, *, webhook: bool) -> None:
        """The leader's duties, until ``resign``: sender, getUpdates, digests, ops and pulse, progress
        panels, command menus, live configuration — each supervised, retired (not crashed) on resign."""
        sup = self.supervisor
        duties = ["sender", "menus", "progress", "digests", "ops"]
        sup.start("sender", lambda: self.sender.run(resign))
        sup.start("menus", self._menus, one_shot=True)
        sup.start("progress", self._until_database(self.progress.resume), one_shot=True)
        sup.start(
            "digests",
            lambda: every(
                DIGEST_TICK_SECONDS, self._tolerant("digests", self.digester.run_once), first=False
            ),
        )
        sup.start(
            "ops", lambda: every(OPS_CHECK_SECONDS, self._tolerant("ops", self._ops_round), first=False)
        )
        Reconciler.install(self)  # live configuration: follows `aajel sources import` (bot/scheduling.py)
        if not webhook:
            duties.append("polling")
            sup.start(
                "polling",
                lambda: self.dispatcher.start_polling(
                    self.bot, handle_signals=False, close_bot_session=False, polling_timeout=10
                ),
            )
        try:
            await resign.wait()
        finally:
            with contextlib.suppress(Exception):
                self.scheduler.remove_job(RECONCILE_JOB)
            if not webhook:
                with contextlib.suppress(RuntimeError):
                    await self.dispatcher.stop_polling()
            await sup.retire(duties, 5.0, graceful=("sender", "polling"))
            await self.progress.close()


def _listen_error(host: str, port: int, error: OSError) -> ConfigError:
    """Name the right key: a port in use is API__PORT's fault, an address we cannot bind API__HOST's."""
    if error.errno in (errno.EADDRINUSE, errno.EACCES) and not isinstance(error, socket.gaierror):
        reason = "already in use" if error.errno == errno.EADDRINUSE else "not allowed (needs privileges)"
        return ConfigError("API__PORT", f"cannot listen on {host}:{port}: port {reason}")
    return ConfigError("API__HOST", f"cannot listen on {host}:{port}: {error.strerror or error}")


async def _finish_jobs(grace: float) -> None:
    """Let poll jobs still running finish (a huge feed's poll stores in paced batches).

    Why: ``shutdown(wait=False)`` leaves running jobs alone, and a job task cancelled later by the
    event loop's own shutdown is logged by APScheduler as a crash, traceback and all. APScheduler's
    asyncio executor runs each job in a task of its ``run_coroutine_job``; those are the ones waited for.
    """
    jobs = [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__name__", "") == "run_coroutine_job" and not task.done()
    ]
    if jobs:
        await asyncio.wait(jobs, timeout=grace)


async def _wait_any(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
