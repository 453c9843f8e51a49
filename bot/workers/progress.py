"""Live progress of an alert's delivery (or of its correction / retraction), shown by editing one message.

Design and invariants
---------------------
* :meth:`ProgressTracker.track` takes an **alert id** (and which operation to follow) and starts one
  asyncio task for it; a second ``track`` of the same (alert, operation) replaces nothing and returns
  the running task. Each round the task opens **its own short session**, reads
  :func:`bot.services.corrections.delivery_progress`, closes the session, and only then talks to
  Telegram — no transaction is ever held across network I/O.
* The status message is edited **only when its text changes** and **never more often than
  ``interval`` seconds** (default 1 s: Telegram's per-chat pace); a 429 makes the task wait the
  ``retry_after`` it was given, "message is not modified" is ignored, and a message that is gone
  ends the task. When nothing moves for a minute the task slows down to one read every 10 s.
* When an operation is done, what the message says and the measured rate are
  :mod:`bot.services.progress`'s (shared with the console's live page). The last edit is a final
  summary (counts, duration, time to first push).
* Which message: for a send, the alert's ``status_chat_id``/``status_message_id`` (read from the
  alert, so :meth:`resume` can pick up alerts still in flight after a restart); corrections and
  retractions get a status message of their own, passed explicitly.
* A long-lived worker (:mod:`bot.workers`): the leader resumes it at start (:meth:`ProgressTracker.resume`)
  and closes it when it steps down.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.models import Alert
from bot.delivery import outbox_counts
from bot.services.corrections import DeliveryProgress, delivery_progress
from bot.services.progress import Snapshot, TrackedChange, measured_rate, render_progress

log = logging.getLogger(__name__)

SLOW_AFTER_SECONDS = 60.0
SLOW_INTERVAL = 10.0
MAX_TRACK_SECONDS = 24 * 3600.0
CLOSE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class StatusMessage:
    alert_id: int
    operation: TrackedChange
    chat_id: int
    message_id: int
    lang: str


class ProgressTracker:
    """Follows alerts' deliveries and edits their editors' status messages (see module doc)."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Clock,
        interval: float = 1.0,
        default_language: str = "ar",
    ) -> None:
        self._sessionmaker = sessionmaker
        self._bot = bot
        self._clock = clock
        self.interval = interval
        self._default_language = default_language
        self._tasks: dict[tuple[int, TrackedChange], asyncio.Task[None]] = {}
        self.edits = 0  # successful edits, for tests and logs

    @property
    def running(self) -> int:
        return sum(1 for task in self._tasks.values() if not task.done())

    def track(
        self,
        alert_id: int,
        *,
        operation: TrackedChange = TrackedChange.SEND,
        chat_id: int | None = None,
        message_id: int | None = None,
        lang: str | None = None,
    ) -> asyncio.Task[None]:
        """Start following ``alert_id``; for a send the status message is read from the alert."""
        key = (alert_id, operation)
        running = self._tasks.get(key)
        if running is not None and not running.done():
            return running
        task = asyncio.create_task(
            self._follow(alert_id, operation, chat_id, message_id, lang or self._default_language),
            name=f"progress:{operation.value}:{alert_id}",
        )
        self._tasks[key] = task
        task.add_done_callback(lambda done, key=key: self._forget(key, done))  # type: ignore[misc]
        return task

    def _forget(self, key: tuple[int, TrackedChange], task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("progress of alert %s failed", key[0], exc_info=task.exception())

    async def wait(self, alert_id: int, operation: TrackedChange = TrackedChange.SEND) -> None:
        task = self._tasks.get((alert_id, operation))
        if task is not None:
            await task

    async def resume(self, *, within_hours: float = 24.0) -> int:
        """Re-follow editors' alerts that still had pending deliveries when the process stopped."""
        since = self._clock.now() - timedelta(hours=within_hours)
        async with self._sessionmaker() as session:
            ids = await outbox_counts.followed_alerts_unfinished(session, since)
        for alert_id in ids:
            self.track(alert_id)
        return len(ids)

    async def close(self) -> None:
        """Cancel the panels' tasks and wait for them, at most :data:`CLOSE_SECONDS` (a shutdown must end)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_SECONDS)
        for task in tasks:  # a panel that failed earlier was logged by it: mark its error as seen
            if task.done() and not task.cancelled():
                task.exception()
        self._tasks.clear()

    async def _target(
        self, alert_id: int, chat_id: int | None, message_id: int | None
    ) -> tuple[int, int] | None:
        if chat_id is not None and message_id is not None:
            return chat_id, message_id
        async with self._sessionmaker() as session:
            row = (
                await session.execute(
                    select(Alert.status_chat_id, Alert.status_message_id).where(Alert.id == alert_id)
                )
            ).one_or_none()
        if row is None or row[0] is None or row[1] is None:
            return None
        return int(row[0]), int(row[1])

    async def _read(self, alert_id: int) -> DeliveryProgress:
        async with self._sessionmaker() as session:
            return await delivery_progress(session, alert_id)

    async def _follow(
        self,
        alert_id: int,
        operation: TrackedChange,
        chat_id: int | None,
        message_id: int | None,
        lang: str,
    ) -> None:
        target = await self._target(alert_id, chat_id, message_id)
        if target is None:
            log.warning("alert %s has no status message to show progress in", alert_id)
            return
        status = StatusMessage(alert_id, operation, target[0], target[1], lang)
        started = self._clock.monotonic()
        samples: deque[tuple[float, int]] = deque(maxlen=8)
        last_text: str | None = None
        last_edit = float("-inf")
        last_change = started
        while True:
            progress = await self._read(alert_id)
            now = self._clock.monotonic()
            snapshot = Snapshot(alert_id, operation, progress, None, now - started)
            if not samples or samples[-1][1] != snapshot.done:
                last_change = now
            samples.append((now, snapshot.done))
            snapshot = Snapshot(alert_id, operation, progress, measured_rate(samples), now - started)
            text = render_progress(snapshot, lang)
            if text != last_text:
                pause = last_edit + self.interval - self._clock.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                outcome = await self._edit(status, text)
                if outcome == "gone":
                    return
                if isinstance(outcome, float):
                    await asyncio.sleep(outcome)
                    continue  # read again, then retry the edit
                last_text = text
                last_edit = self._clock.monotonic()
            if snapshot.finished:
                return
            if now - started > MAX_TRACK_SECONDS:
                log.warning("stopped following alert %s after %ss", alert_id, MAX_TRACK_SECONDS)
                return
            idle = now - last_change > SLOW_AFTER_SECONDS
            await asyncio.sleep(SLOW_INTERVAL if idle else self.interval)

    async def _edit(self, status: StatusMessage, text: str) -> str | float | None:
        """Edit the status message: None when done, seconds to wait on a 429, "gone" to give up."""
        try:
            await self._bot.edit_message_text(
                text=text, chat_id=status.chat_id, message_id=status.message_id, parse_mode="HTML"
            )
            self.edits += 1
            return None
        except TelegramRetryAfter as e:
            return float(e.retry_after)
        except TelegramBadRequest as e:
            lowered = e.message.lower()
            if "not modified" in lowered:
                return None
            if "not found" in lowered or "can't be edited" in lowered:
                log.info("status message of alert %s is gone: %s", status.alert_id, e.message)
                return "gone"
            log.warning("could not edit status of alert %s: %s", status.alert_id, e.message)
            return None
        except TelegramForbiddenError:
            return "gone"
        except (TelegramServerError, TelegramNetworkError) as e:
            log.warning("could not edit status of alert %s (will retry): %s", status.alert_id, e)
            return self.interval
