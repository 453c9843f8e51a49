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

What one :meth:`Reconciler.tick` does (on the leader only: it talks to Telegram once per bot)
    * **Sources** need nothing here: every instance *claims* due sources from the ``sources`` table
      every second (:mod:`bot.coord.sources`), so an added source is polled at its first claim, a
      removed or disabled one is no longer claimed, and a new interval applies from the next claim —
      within one interval. Mapping, selector and URL changes apply at the next poll, since the poller
      reads ``sources.config`` on every poll. The database is the schedule: nothing is cached.
    * **Channels**: when the declarations' version changed (or unresolved ones wait for a retry,
      :data:`RETRY_SECONDS`), each ``[[channels]]`` entry is resolved with Telegram (``getChat`` for an
      ``@username``, ``getChatMember`` for the bot's rights) and applied
      (:func:`bot.services.channels.apply_declaration`); file-managed channels no longer declared are
      released. One failing channel never stops the others.
    * **Channel feed**: normal stories for ``all`` channels are queued
      (:func:`bot.services.channels.feed_normal_stories`) and the sender woken.
    * **Report**: what the running bots poll (name, interval, next due poll) is written to
      ``config_state['schedule']`` when it changes and at least every :data:`REPORT_SECONDS`, for
      ``aajel sources list``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, as_utc
from bot.db.models import Channel, ConfigState, Source
from bot.exceptions import AajelError
from bot.services import channels
from bot.sources.spec import ChannelSpec

if TYPE_CHECKING:  # annotations only: bot.workers imports this module
    from bot.workers.runner import Workers

log = logging.getLogger(__name__)

RECONCILE_SECONDS: Final = 2.0
RETRY_SECONDS: Final = 60.0
REPORT_SECONDS: Final = 30.0
SCHEDULE_KEY: Final = "schedule"
JOB_ID: Final = "reconcile"


class Reconciler:
    """Keeps the scheduler and channel rows in step with the database (see the module docstring)."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._wake = wake
        self._sessionmaker = sessionmaker
        self._bot = bot
        self._clock = clock
        self._channels_version = -1
        self._retry_at: datetime | None = None
        self._reported: dict[str, Any] | None = None
        self._reported_at: datetime | None = None
        self.owner = f"{socket.gethostname()}:{os.getpid()}"

    @classmethod
    def install(cls, workers: Workers) -> Reconciler:
        """Attach to the leader's :class:`bot.workers.runner.Workers` (its scheduler, bot, clock, and the
        sender to wake): the one hook, called when this process starts leading."""
        reconciler = cls(
            sessionmaker=workers.sessionmaker, bot=workers.bot, clock=workers.clock, wake=workers.sender.wake
        )
        workers.scheduler.add_job(
            reconciler.tick,
            IntervalTrigger(seconds=RECONCILE_SECONDS),
            id=JOB_ID,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=workers.clock.now(),
        )
        return reconciler

    async def tick(self) -> None:
        """One reconciliation round; failures are logged and the next round tries again."""
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
        """Write what is polled for ``aajel sources list`` (on change, else every REPORT_SECONDS)."""
        async with self._sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Source.id, Source.name, Source.interval_seconds, Source.poll_due_at)
                    .where(Source.enabled)
                    .order_by(Source.id)
                )
            ).all()
        sources = {
            row.name: {
                "id": row.id,
                "interval_seconds": float(row.interval_seconds),
                "next_run_at": _iso(as_utc(row.poll_due_at) if row.poll_due_at is not None else None),
            }
            for row in rows
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
