"""Live configuration: the running bot follows the database, so ``aajel sources import`` needs no restart.

Why DB-driven reconciliation (and not SIGHUP or watching the file)
    ``aajel sources import`` validates the whole file first and stores it in one transaction, so a file
    with a mistake never reaches the running bot, and the database is already what every process reads
    (the poller reads a source's settings and the topics on every poll; planning reads channel rows on
    every alert). A signal needs the bot's pid and the same host (not true for containers or several
    instances); a file watcher would apply half-edited files and only on the host that has the file.
    The running bot therefore just **reconciles** every :data:`RECONCILE_SECONDS` (2 s, the smallest
    allowed poll interval): a cheap read of ``sources`` (id, interval, enabled) and of the channel
    declarations' version. The same path serves changes made by the CMS API or a console later.

What one :meth:`Reconciler.tick` does
    * **Sources**: the scheduler's ``source:<id>`` jobs are compared with the enabled rows — added
      sources are scheduled (first poll at once), removed or disabled ones unscheduled, a changed
      interval reschedules the job (the next poll comes one *new* interval later). Mapping, selector and
      URL changes need nothing here: the poller reads ``sources.config`` on every poll, so they apply at
      the next poll, i.e. within one interval. The scheduler itself is the state: nothing is cached.
    * **Channels**: when the declarations' version changed (or unresolved ones wait for a retry,
      :data:`RETRY_SECONDS`), each ``[[channels]]`` entry is resolved with Telegram (``getChat`` for an
      ``@username``, ``getChatMember`` for the bot's rights) and applied
      (:func:`bot.services.channels.apply_declaration`); file-managed channels no longer declared are
      released. One failing channel never stops the others.
    * **Channel feed**: normal stories for ``all`` channels are queued
      (:func:`bot.services.channels.feed_normal_stories`) and the sender woken.
    * **Report**: what is scheduled (name, interval, next run) is written to ``config_state['schedule']``
      when it changes and at least every :data:`REPORT_SECONDS`, for ``aajel sources list``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Final

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.models import Channel, ConfigState, Source
from bot.exceptions import AajelError
from bot.services import channels
from bot.sources.spec import ChannelSpec

log = logging.getLogger(__name__)

RECONCILE_SECONDS: Final = 2.0
RETRY_SECONDS: Final = 60.0
REPORT_SECONDS: Final = 30.0
SCHEDULE_KEY: Final = "schedule"
JOB_PREFIX: Final = "source:"


def source_job_id(source_id: int) -> str:
    return f"{JOB_PREFIX}{source_id}"


def plan_changes(
    wanted: dict[int, float], running: dict[int, float]
) -> tuple[list[int], list[int], list[int]]:
    """(to add, to remove, to reschedule) — a pure comparison of source id → interval maps."""
    add = sorted(set(wanted) - set(running))
    remove = sorted(set(running) - set(wanted))
    change = sorted(i for i in set(wanted) & set(running) if abs(wanted[i] - running[i]) > 1e-6)
    return add, remove, change


class Reconciler:
    """Keeps the scheduler and channel rows in step with the database (see the module docstring)."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        scheduler: AsyncIOScheduler,
        poll: Callable[[int], Awaitable[Any]],
        bot: Bot,
        clock: Clock,
        jitter_fraction: float,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._wake = wake
        self._sessionmaker = sessionmaker
        self._scheduler = scheduler
        self._poll = poll
        self._bot = bot
        self._clock = clock
        self._jitter = jitter_fraction
        self._channels_version = -1
        self._retry_at: datetime | None = None
        self._reported: dict[str, Any] | None = None
        self._reported_at: datetime | None = None
        self.owner = f"{socket.gethostname()}:{os.getpid()}"

    @classmethod
    def install(cls, app: Any) -> Reconciler:
        """Attach to a running :class:`bot.app.Aajel` (its scheduler, poller, bot, clock): the one hook."""
        reconciler = cls(
            sessionmaker=app.sessionmaker,
            scheduler=app.scheduler,
            poll=app.poller.poll,
            bot=app.bot,
            clock=app.clock,
            jitter_fraction=app.settings.polling.jitter_fraction,
            wake=app.sender.wake,
        )
        app.scheduler.add_job(
            reconciler.tick,
            IntervalTrigger(seconds=RECONCILE_SECONDS),
            id="reconcile",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=app.clock.now(),
        )
        return reconciler

    def _trigger(self, interval: float) -> IntervalTrigger:
        return IntervalTrigger(seconds=interval, jitter=max(0.0, interval * self._jitter) or None)

    def running(self) -> dict[int, float]:
        """Source id → interval of the jobs the scheduler has now."""
        out: dict[int, float] = {}
        for job in self._scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and isinstance(job.trigger, IntervalTrigger):
                out[int(job.id.removeprefix(JOB_PREFIX))] = job.trigger.interval.total_seconds()
        return out

    async def tick(self) -> None:
        """One reconciliation round; failures are logged and the next round tries again."""
        try:
            await self.sync_sources()
        except Exception:
            log.exception("reconciling sources failed")
        try:
            await self.sync_channels()
        except Exception:
            log.exception("reconciling channels failed")
        try:
            await self.feed()
        except Exception:
            log.exception("feeding 'all' channels failed")
        try:
            await self.report()
        except Exception:
            log.exception("writing the schedule report failed")

    async def sync_sources(self) -> tuple[list[int], list[int], list[int]]:
        async with self._sessionmaker() as session:
            rows = (
                await session.execute(select(Source.id, Source.interval_seconds).where(Source.enabled))
            ).all()
        wanted = {int(source_id): float(interval) for source_id, interval in rows}
        add, remove, change = plan_changes(wanted, self.running())
        for source_id in add:
            self._scheduler.add_job(
                self._poll,
                self._trigger(wanted[source_id]),
                args=[source_id],
                id=source_job_id(source_id),
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=self._clock.now(),
            )
        for source_id in remove:
            self._scheduler.remove_job(source_job_id(source_id))
        for source_id in change:
            self._scheduler.reschedule_job(source_job_id(source_id), trigger=self._trigger(wanted[source_id]))
        if add or remove or change:
            log.info("schedule reconciled: +%s -%s ~%s", add, remove, change)
        return add, remove, change

    async def sync_channels(self) -> None:
        async with self._sessionmaker() as session:
            version, specs = await channels.declarations(session)
        now = self._clock.now()
        retry = self._retry_at is not None and now >= self._retry_at
        if version == self._channels_version and not retry:
            return
        keep: set[tuple[int, int]] = set()
        failed = False
        for spec in specs:
            try:
                membership = await self.resolve(spec)
            except AajelError as e:
                log.warning("channel %s: cannot be resolved yet: %s", spec.chat, e)
                failed = True
                continue
            keep.add((membership.chat_id, spec.thread_id))
            try:
                async with self._sessionmaker() as session, session.begin():
                    await channels.apply_declaration(session, spec, membership, self._clock)
            except AajelError as e:
                log.warning("channel %s: declaration not applied: %s", spec.chat, e)
                failed = True
        if not failed:  # an unresolved entry must not make its existing row look undeclared
            async with self._sessionmaker() as session, session.begin():
                await channels.release_undeclared(session, keep, self._clock)
        self._channels_version = version
        self._retry_at = now + timedelta(seconds=RETRY_SECONDS) if failed else None

    async def resolve(self, spec: ChannelSpec) -> channels.BotMembership:
        """Ask Telegram which chat ``spec.chat`` is and what the bot may do there."""
        try:
            chat = await self._bot.get_chat(spec.chat)
            me = await self._bot.me()
            try:
                member = await self._bot.get_chat_member(chat.id, me.id)
                status = channels.member_status(member.status)
                can_post = status == "creator" or bool(getattr(member, "can_post_messages", False))
                if chat.type != "channel":
                    can_post = status in ("creator", "administrator", "member")
            except TelegramAPIError:  # e.g. the member list of a channel the bot is not in
                status, can_post = "left", False
        except (TelegramAPIError, TelegramNetworkError) as e:
            raise AajelError(str(e)) from e
        return channels.BotMembership(
            chat_id=chat.id, title=chat.title, username=chat.username, status=status, can_post=can_post
        )

    async def feed(self) -> list[int]:
        async with self._sessionmaker() as session:  # read first: no write lock while nothing to do
            wanted = await session.scalar(
                select(Channel.id).where(Channel.active.is_(True), Channel.level == "all").limit(1)
            )
        if wanted is None:
            return []
        async with self._sessionmaker() as session, session.begin():
            alert_ids = await channels.feed_normal_stories(session, self._clock)
        if alert_ids:
            log.info("normal stories queued for 'all' channels: %s", alert_ids)
            self._wake()
        return alert_ids

    async def report(self) -> None:
        """Write what is scheduled for ``aajel sources list`` (on change, else every REPORT_SECONDS)."""
        running = self.running()
        async with self._sessionmaker() as session:
            names = {row.id: row.name for row in await session.execute(select(Source.id, Source.name))}
        jobs = {job.id: job for job in self._scheduler.get_jobs()}
        sources = {
            names.get(source_id, str(source_id)): {
                "id": source_id,
                "interval_seconds": interval,
                "next_run_at": _iso(getattr(jobs.get(source_job_id(source_id)), "next_run_time", None)),
            }
            for source_id, interval in sorted(running.items())
        }
        shape = {name: (s["id"], s["interval_seconds"]) for name, s in sources.items()}
        now = self._clock.now()
        fresh = self._reported_at is not None and (now - self._reported_at).total_seconds() < REPORT_SECONDS
        if self._reported == shape and fresh:
            return
        value = {"owner": self.owner, "at": now.isoformat(), "sources": sources}
        async with self._sessionmaker() as session, session.begin():
            row = await session.get(ConfigState, SCHEDULE_KEY)
            if row is None:
                session.add(ConfigState(key=SCHEDULE_KEY, value=value, updated_at=now))
            else:
                row.value, row.updated_at = value, now
        self._reported, self._reported_at = shape, now


async def read_schedule(session: AsyncSession) -> dict[str, Any] | None:
    """The running bot's last schedule report (``owner``, ``at``, ``sources``), or None."""
    row = await session.get(ConfigState, SCHEDULE_KEY)
    return dict(row.value) if row is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
