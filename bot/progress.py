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
* Sending is done when nothing is pending any more; a correction or retraction when no copy still
  waits for its edit and none is still on its way (a copy in flight when the correction came is
  edited once it is recorded as sent). The last edit is a final summary (counts, duration, time to first push).
* Which message: for a send, the alert's ``status_chat_id``/``status_message_id`` (read from the
  alert, so :meth:`resume` can pick up alerts still in flight after a restart); corrections and
  retractions get a status message of their own, passed explicitly.
* The rate is measured, not assumed: done-count deltas over the last few seconds of samples; the
  ETA is the remaining count over that rate.
* Rendering (:func:`render_progress`) is pure, Telegram HTML built with aiogram's formatting nodes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.utils.formatting import Bold, Code, Text, as_line
from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, as_utc
from bot.db.models import Alert, Delivery
from bot.domain import DeliveryStatus
from bot.i18n import t
from bot.services.corrections import DeliveryProgress, delivery_progress

log = logging.getLogger(__name__)

BAR_WIDTH = 12
SLOW_AFTER_SECONDS = 60.0
SLOW_INTERVAL = 10.0
MAX_TRACK_SECONDS = 24 * 3600.0


class TrackedChange(StrEnum):
    """What a status message follows: the first send of an alert, or a correction / retraction of it.

    (Named apart from :class:`bot.api.openapi.Operation`, an OpenAPI operation object.)"""

    SEND = "send"
    CORRECT = "correct"
    RETRACT = "retract"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One reading, with what the renderer needs besides the counts."""

    alert_id: int
    operation: TrackedChange
    progress: DeliveryProgress
    rate: float | None  # per second, measured
    elapsed: float  # seconds since tracking started

    @property
    def total(self) -> int:
        p = self.progress
        if self.operation is TrackedChange.SEND:
            return p.total
        return p.edits_done + p.edits_failed + self.remaining

    @property
    def done(self) -> int:
        p = self.progress
        if self.operation is TrackedChange.SEND:
            return p.sent + p.failed + p.cancelled
        return p.edits_done + p.edits_failed

    @property
    def remaining(self) -> int:
        """For edits, copies still on their way count too: a copy in flight when the correction came
        is edited once it is recorded as sent, and unsent copies go out with the corrected text."""
        p = self.progress
        return p.pending if self.operation is TrackedChange.SEND else p.edits_pending + p.pending

    @property
    def finished(self) -> bool:
        return self.remaining <= 0


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``▓▓▓▓░░░░ 50%``; an empty job is complete."""
    share = 1.0 if total <= 0 else max(0.0, min(1.0, done / total))
    filled = round(share * width)
    return "▓" * filled + "░" * (width - filled) + f" {share * 100:.0f}%"


def _duration(seconds: float, lang: str) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return t("editor.progress.seconds", lang, n=f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}")
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return t("editor.progress.minutes", lang, m=minutes, s=secs)
    hours, minutes = divmod(minutes, 60)
    return t("editor.progress.hours", lang, h=hours, m=minutes)


def render_progress(snapshot: Snapshot, lang: str) -> str:
    """The status message for one reading (Telegram HTML)."""
    p = snapshot.progress
    op = snapshot.operation.value
    lines: list[Text] = []
    if snapshot.finished:
        lines.append(Bold(t(f"editor.progress.{op}.done", lang, id=snapshot.alert_id)))
    else:
        lines.append(Bold(t(f"editor.progress.{op}.running", lang, id=snapshot.alert_id)))
        lines.append(Code(bar(snapshot.done, snapshot.total)))
    if snapshot.operation is TrackedChange.SEND:
        lines.append(
            Text(
                t(
                    "editor.progress.send.counts",
                    lang,
                    sent=p.sent,
                    failed=p.failed,
                    remaining=p.pending,
                    cancelled=p.cancelled,
                    total=p.total,
                )
            )
        )
    else:
        lines.append(
            Text(
                t(
                    "editor.progress.edit.counts",
                    lang,
                    done=p.edits_done,
                    failed=p.edits_failed,
                    remaining=snapshot.remaining,
                    total=snapshot.total,
                )
            )
        )
    if not snapshot.finished:
        if snapshot.rate:
            eta = _duration(snapshot.remaining / snapshot.rate, lang)
            lines.append(Text(t("editor.progress.rate", lang, rate=f"{snapshot.rate:.1f}", eta=eta)))
        else:
            lines.append(Text(t("editor.progress.rate_unknown", lang)))
    else:
        lines.append(Text(t("editor.progress.took", lang, took=_duration(snapshot.elapsed, lang))))
        if (
            snapshot.operation is TrackedChange.SEND
            and p.first_sent_at is not None
            and p.last_sent_at is not None
        ):
            span = (as_utc(p.last_sent_at) - as_utc(p.first_sent_at)).total_seconds()
            lines.append(Text(t("editor.progress.span", lang, span=_duration(span, lang))))
    parts: list[Text | str] = []
    for index, line in enumerate(lines):
        if index:
            parts.append("\n")
        parts.append(line)
    return as_line(*parts, end="").as_html()


@dataclass(frozen=True, slots=True)
class _Job:
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
        pending = exists().where(
            and_(
                Delivery.alert_id == Alert.id,
                Delivery.status.in_((DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)),
            )
        )
        async with self._sessionmaker() as session:
            ids = list(
                await session.scalars(
                    select(Alert.id).where(
                        Alert.status_message_id.is_not(None), Alert.created_at >= since, pending
                    )
                )
            )
        for alert_id in ids:
            self.track(alert_id)
        return len(ids)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
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
        job = _Job(alert_id, operation, target[0], target[1], lang)
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
            snapshot = Snapshot(alert_id, operation, progress, _rate(samples), now - started)
            text = render_progress(snapshot, lang)
            if text != last_text:
                pause = last_edit + self.interval - self._clock.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                outcome = await self._edit(job, text)
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

    async def _edit(self, job: _Job, text: str) -> str | float | None:
        """Edit the status message: None when done, seconds to wait on a 429, "gone" to give up."""
        try:
            await self._bot.edit_message_text(
                text=text, chat_id=job.chat_id, message_id=job.message_id, parse_mode="HTML"
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
                log.info("status message of alert %s is gone: %s", job.alert_id, e.message)
                return "gone"
            log.warning("could not edit status of alert %s: %s", job.alert_id, e.message)
            return None
        except TelegramForbiddenError:
            return "gone"
        except (TelegramServerError, TelegramNetworkError) as e:
            log.warning("could not edit status of alert %s (will retry): %s", job.alert_id, e)
            return self.interval


def _rate(samples: deque[tuple[float, int]]) -> float | None:
    if len(samples) < 2:
        return None
    (t0, d0), (t1, d1) = samples[0], samples[-1]
    if t1 - t0 <= 0 or d1 <= d0:
        return None
    return (d1 - d0) / (t1 - t0)
