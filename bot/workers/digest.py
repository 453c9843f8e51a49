"""The digest worker: every tick, make the digests that are due (a leader-only scheduler job).

What a digest is, who is due and what goes in it are decided in :mod:`bot.services.digest`
(:func:`~bot.services.digest.due_subscribers`, :func:`~bot.services.digest.digest_for`); this worker
only loops over the due subscribers, one short transaction each, so one failing subscriber never
stops the others, counts what it made (``DIGESTS``) and hands the new alert ids on (``on_created``:
the sender is woken).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.metrics import DIGESTS
from bot.services.digest import digest_for, due_subscribers

log = logging.getLogger(__name__)

OnCreated = Callable[[Sequence[int]], Awaitable[None]]


class Digester:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        minutes: int,
        on_created: OnCreated | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._period = timedelta(minutes=minutes)
        self._on_created = on_created

    async def due_subscribers(self) -> list[int]:
        """Subscribers due a digest now (:func:`bot.services.digest.due_subscribers`)."""
        async with self._sessionmaker() as session:
            return await due_subscribers(session, self._clock.now(), self._period)

    async def run_once(self) -> list[int]:
        """Make every due digest; returns the new alert ids (their deliveries are committed)."""
        created: list[int] = []
        for subscriber_id in await self.due_subscribers():
            try:
                async with self._sessionmaker() as session, session.begin():
                    plan = await digest_for(session, subscriber_id, self._clock, self._period)
                created.extend(plan.alert_ids)
                DIGESTS.inc(len(plan.alert_ids))
            except Exception:  # one subscriber never stops the others
                log.exception("digest for subscriber %s failed", subscriber_id)
        if created:
            log.info("digests planned: %s", ", ".join(map(str, created)))
            if self._on_created is not None:
                await self._on_created(created)
        return created


__all__ = ["Digester", "OnCreated"]
