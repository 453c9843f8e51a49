"""Every long-lived task of one instance: built once here, registered with the one supervisor here.

Design and invariants
---------------------
* **One list.** :class:`Workers` constructs every worker — sender, poller (the poll jobs), source
  claims, digests, progress panels, ops checks and the pulse, command menus, the HTTP server, long
  polling — and :meth:`Workers.run` / :meth:`Workers._lead` are the only places that start them, each
  under :class:`~bot.supervisor.Supervisor`: a crash is logged with its traceback, counted, told to
  the ops chat and restarted with capped backoff; a task that cannot come back ends :meth:`run` (the
  caller raises :class:`~bot.exceptions.TaskFailed`).
* **Every instance** polls its share of the sources (APScheduler jobs, :mod:`bot.coord.sources`) and
  serves HTTP. **The leader** (:mod:`bot.coord.leader`) alone runs the sender, getUpdates, digests,
  ops checks and the pulse, progress panels, command menus and live configuration
  (:class:`bot.scheduling.Reconciler`); a standby runs none of them, and a leader that resigns
  retires them (a retirement, not a crash).
* **Order.** Start: poll claims → HTTP server (bind first: a port in use ends start-up cleanly) →
  leadership. Stop (safe at any point): the leader resigns, the scheduler stops and running poll
  jobs get :data:`POLL_JOBS_GRACE` to finish, the supervisor stops every task, then the source
  claims are released and the HTTP server stops (``deleteWebhook`` by the last instance).
* **Outages are not crashes** (:mod:`bot.workers.outages`): periodic jobs log a database outage once
  and try again on their next tick; the sender waits for the database itself.
* The ingestion pipeline (:mod:`bot.pipeline`) keeps its module; it is wired here like every other
  worker. The digest job is :mod:`bot.workers.digest` (its rules stay in :mod:`bot.services.digest`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence

from aiogram import Bot, Dispatcher
from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import metrics
from bot.api.health import HealthReport
from bot.api.server import database_alive
from bot.clock import Clock
from bot.config import Settings
from bot.coord import Leadership, SourceScheduler, bot_id
from bot.coord.leader import TAKEOVER_GRACE_SECONDS
from bot.coord.sources import TICK_SECONDS
from bot.db.models import Source
from bot.delivery.requests import warm_up as warm_sender
from bot.delivery.sender import Sender
from bot.news import samestory
from bot.pipeline import Poller
from bot.scheduling import JOB_ID as RECONCILE_JOB
from bot.scheduling import Reconciler
from bot.sources.fetch import Fetcher
from bot.supervisor import HEALTHY, Supervisor, every
from bot.workers.digest import Digester
from bot.workers.http import HttpWorker
from bot.workers.menus import CommandMenus
from bot.workers.ops import NO_SOURCES, OpsNotifier, PulseMonitor
from bot.workers.outages import DatabaseOutages, until_database
from bot.workers.progress import ProgressTracker

log = logging.getLogger(__name__)

OPS_CHECK_SECONDS = 30.0
"""How often the ops chat's notices (sources unhealthy/stale, bulk failures) are looked for."""

DIGEST_TICK_SECONDS = 60.0
"""How often due digests are looked for (each subscriber still gets one at most every DIGEST_MINUTES)."""

SCHEDULER_WATCH_SECONDS = 5.0
"""How often the supervisor's scheduler task checks that APScheduler (the poll jobs) still runs."""

HEALTH_DB_TIMEOUT = 2.0

POLL_JOBS_GRACE = 5.0
"""At shutdown, poll jobs still running get this long to finish (a huge feed stores in batches)."""

LEADER_DUTIES_GRACE = 5.0
"""A resigning leader's sender and long polling get this long to wind down."""

STOP_GRACE = 15.0


class Workers:
    """The long-lived parts of one instance (see the module docstring). Close with :meth:`aclose`."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        bot: Bot,
        fetcher: Fetcher,
        no_sources_reason: str,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.sessionmaker = sessionmaker
        self.bot = bot
        self._no_sources_reason = no_sources_reason
        self.sources_configured = 0
        self.outages = DatabaseOutages()
        self.supervisor = Supervisor(clock=clock, notify=self._tell_ops)
        self.sender = Sender(sessionmaker=sessionmaker, bot=bot, settings=settings, clock=clock)
        self.poller = Poller(
            sessionmaker=sessionmaker,
            fetcher=fetcher,
            clock=clock,
            settings=settings.polling,
            on_alerts=self._alerts_created,
        )
        self.digester = Digester(
            sessionmaker=sessionmaker,
            clock=clock,
            minutes=settings.digest_minutes,
            on_created=self._alerts_created,
        )
        self.progress = ProgressTracker(
            sessionmaker=sessionmaker, bot=bot, clock=clock, default_language=settings.default_language
        )
        self.ops: OpsNotifier | None = None
        if settings.ops_chat_id is not None:
            self.ops = OpsNotifier(
                sessionmaker=sessionmaker,
                bot=bot,
                clock=clock,
                chat_id=settings.ops_chat_id,
                lang=settings.default_language,
            )
        self.pulse = PulseMonitor(
            sessionmaker=sessionmaker,
            clock=clock,
            settings=settings.pulse,
            last_send=lambda: self.sender.last_send_at,
            bot=bot if settings.ops_chat_id is not None else None,
            chat_id=settings.ops_chat_id,
            lang=settings.default_language,
        )
        self.menus = CommandMenus(bot=bot, sessionmaker=sessionmaker)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.scheduler.add_listener(self._job_failed, EVENT_JOB_ERROR)
        # several instances (bot.coord): one leader long-polls, sends and runs the singleton jobs;
        # every instance polls its share of the sources
        self.instance = f"aajel-{uuid.uuid4().hex[:8]}"
        token = settings.bot_token.get_secret_value() if settings.bot_token else None
        self.leadership = Leadership(engine, bot=bot_id(token), name=self.instance)
        self.sources = SourceScheduler(
            sessionmaker=sessionmaker,
            poll=self.poller.poll,
            clock=clock,
            settings=settings.polling,
            owner=self.instance,
        )
        self.http = HttpWorker(
            settings=settings,
            sessionmaker=sessionmaker,
            clock=clock,
            bot=bot,
            wake=self.sender.wake,
            report=self.health,
            members=self.leadership.members,
        )

    async def aclose(self) -> None:
        await self.leadership.close()
        await self.progress.close()

    @property
    def sender_task(self) -> asyncio.Task[None] | None:
        """The supervised sender (``None`` before :meth:`run`)."""
        return self.supervisor.task("sender")

    # --- running -----------------------------------------------------------------------------------
    async def run(
        self, stop: asyncio.Event, dispatcher: Dispatcher, *, webhook: bool, serve_http: bool
    ) -> None:
        """Run every worker until ``stop`` is set (or a supervised task could not come back:
        :attr:`Supervisor.fatal`). ``webhook``: updates arrive over HTTP instead of long polling."""
        supervisor = self.supervisor
        supervisor.stop_event = stop
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
            supervisor.start("scheduler", self._watch_scheduler)
            # bind before anything else starts: a port in use or a refused webhook ends start-up cleanly
            if webhook or serve_http:
                await self.http.start(dispatcher, webhook=webhook)
            supervisor.start(
                "leadership",
                lambda: self.leadership.run(
                    stop, lambda resign: self._lead(resign, dispatcher, webhook=webhook)
                ),
            )
            # a hot standby: pay the sender's one-off warm-up (aiogram types, gc.freeze) now, not at takeover
            warm_sender(self.settings)
            # the same-story decider's word tables and meaning model, off the event loop, before polls
            await asyncio.to_thread(samestory.warm_up)
            await wait_any(self.leadership.decided, stop, supervisor.failed)  # leader or standby: known first
            if count:
                log.info("%d sources configured", count)
            else:
                log.warning(
                    "no sources configured (%s): nothing is polled; editors' and CMS alerts still work. "
                    "Set SOURCES_FILE to a sources file (see docs/sources.md).",
                    self._no_sources_reason,
                )
            if webhook or serve_http:
                supervisor.start("http", self.http.serve)
            await wait_any(stop, supervisor.failed)
        finally:
            stop.set()  # the leader resigns: its sender and long polling wind down on their own
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            await finish_poll_jobs(POLL_JOBS_GRACE)
            await supervisor.stop(STOP_GRACE, graceful=("leadership",))  # the leader's own parts each get 5 s
            await self.sources.aclose()
            await self.http.stop()

    async def _lead(self, resign: asyncio.Event, dispatcher: Dispatcher, *, webhook: bool) -> None:
        """The leader's duties, until ``resign``: sender, getUpdates, digests, ops and pulse, progress
        panels, command menus, live configuration — each supervised, retired (not crashed) on resign."""
        supervisor = self.supervisor
        duties = ["sender", "menus", "progress", "digests", "ops"]
        # the previous leader's sends may fill the window we start in: never exceed the bot-wide rate
        self.sender.pacer.assume_full(since=self.clock.monotonic() - TAKEOVER_GRACE_SECONDS)
        supervisor.start("sender", lambda: self.sender.run(resign))
        supervisor.start("menus", self.menus.run, one_shot=True)
        supervisor.start("progress", until_database(self.progress.resume), one_shot=True)
        digests = self.outages.tolerant("digests", self._when_lock_held(self.digester.run_once))
        supervisor.start("digests", lambda: every(DIGEST_TICK_SECONDS, digests, first=False))
        ops_round = self.outages.tolerant("ops", self._when_lock_held(self._ops_round))
        supervisor.start("ops", lambda: every(OPS_CHECK_SECONDS, ops_round, first=False))
        Reconciler.install(self)  # live configuration: follows `aajel sources import` (bot/scheduling.py)
        if not webhook:
            duties.append("polling")
            supervisor.start(
                "polling",
                lambda: dispatcher.start_polling(
                    self.bot, handle_signals=False, close_bot_session=False, polling_timeout=10
                ),
            )
        try:
            await resign.wait()
        finally:
            with contextlib.suppress(Exception):
                self.scheduler.remove_job(RECONCILE_JOB)
            if not webhook:
                # aiogram waits for its polling loop to confirm it stopped, without a bound; a polling
                # task cancelled meanwhile never confirms, so we wait at most the duties' grace
                with contextlib.suppress(RuntimeError, TimeoutError):
                    await asyncio.wait_for(dispatcher.stop_polling(), LEADER_DUTIES_GRACE)
            await supervisor.retire(duties, LEADER_DUTIES_GRACE, graceful=("sender", "polling"))
            await self.progress.close()

    # --- the tasks' bodies -------------------------------------------------------------------------
    async def _alerts_created(self, alert_ids: Sequence[int]) -> None:
        log.info("alerts planned: %s", ", ".join(map(str, alert_ids)))
        self.sender.wake()

    async def _watch_scheduler(self) -> None:
        """The poll jobs live in APScheduler: (re)start it, then make sure it keeps running."""
        if not self.scheduler.running:
            self.scheduler.start()
        while True:
            await asyncio.sleep(SCHEDULER_WATCH_SECONDS)
            if not self.scheduler.running:
                raise RuntimeError("the scheduler (poll jobs) stopped")

    def _when_lock_held(self, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        """Singleton rounds skip while the leader rides out an outage without its lock: another
        instance may hold it by then (a partition), and a digest or ops notice must never go twice."""

        async def guarded() -> None:
            if self.leadership.holds_lock:
                await job()

        return guarded

    async def _ops_round(self) -> None:
        await self.pulse.check()
        if self.ops is not None:
            await self.ops.check()

    async def _tell_ops(self, text: str) -> None:
        """The supervisor's notices (a task crashed, restarted, failed) go to the ops chat, if any."""
        if self.settings.ops_chat_id is not None:
            await self.bot.send_message(self.settings.ops_chat_id, text, parse_mode=None)

    def _job_failed(self, event: JobExecutionEvent) -> None:
        """A poll job raised (APScheduler has logged the traceback): count it; the next tick retries."""
        job = str(event.job_id).split(":", 1)[0]
        metrics.JOB_ERRORS.labels(job=job).inc()

    async def _count_sources(self) -> int:
        async with self.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).where(Source.enabled)) or 0)

    # --- health --------------------------------------------------------------------------------------
    async def health(self) -> HealthReport:
        """What ``/healthz`` says: the database, every supervised task, sources and the pulse."""
        checks: dict[str, str] = {}
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


async def finish_poll_jobs(grace: float) -> None:
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


async def wait_any(*events: asyncio.Event) -> None:
    """Return as soon as one of ``events`` is set."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
