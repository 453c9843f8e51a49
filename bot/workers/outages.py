"""How periodic workers live through a database outage: it is not a crash.

The supervisor (:mod:`bot.supervisor`) restarts a crashed task with a growing backoff and gives up
after too many crashes — right for a bug, wrong for a database that is briefly unreachable, which
would otherwise end the process or leave a job waiting minutes after the database is back. So:

* a job run every tick (:meth:`DatabaseOutages.tolerant`) logs an outage once, skips the tick and
  says when the database is back; any other error is still a crash for the supervisor;
* a one-shot job (:func:`until_database`) is retried every :data:`RETRY_SECONDS` until it runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.db.session import is_database_unavailable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
Sleep = Callable[[float], Awaitable[None]]

RETRY_SECONDS = 1.0


class DatabaseOutages:
    """Which periodic jobs are failing on the database right now (each outage is logged once)."""

    def __init__(self) -> None:
        self._failing: set[str] = set()

    def tolerant(self, name: str, job: Job) -> Callable[[], Awaitable[None]]:
        """``job`` for :func:`~bot.supervisor.every`: a database outage is logged once per outage and
        waits for the next tick; anything else is a crash for the supervisor."""

        async def run() -> None:
            try:
                await job()
            except Exception as e:
                if not is_database_unavailable(e):
                    raise
                if name not in self._failing:
                    log.error("%s: database unavailable (%s); trying again every tick", name, e)
                    self._failing.add(name)
                return
            if name in self._failing:
                log.warning("%s: database available again", name)
                self._failing.discard(name)

        return run


def until_database(job: Job, sleep: Sleep = asyncio.sleep) -> Callable[[], Awaitable[None]]:
    """``job`` retried every :data:`RETRY_SECONDS` while the database is unavailable (an outage is not
    a crash: the supervisor's growing backoff would delay it long after the database is back)."""

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
                await sleep(RETRY_SECONDS)

    return run
