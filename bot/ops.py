"""Operational notices to the ops chat (``OPS_CHAT_ID``): sources unhealthy or stale, bulk delivery failures.

Design and invariants
---------------------
* A periodic scheduler job (:meth:`OpsNotifier.check`) **reads the database** — the poller and the
  sender need no hooks: ``sources.healthy``/``last_success_at`` and ``deliveries.status`` already say
  everything.
* **Transitions, not levels.** A source is ``ok``, ``stale`` (healthy, but no success for
  ``max(stale_factor × interval, stale_min_seconds)``) or ``unhealthy`` (the poller's verdict). A notice
  goes out when that state differs from the last one *notified*; the last notified state is read from
  the audit log (``ops.source_*`` rows, target ``source:<id>``), so a restart or a second instance
  does not repeat notices. An alert whose failures reach ``bulk_min_failures`` and ``bulk_ratio`` of
  its deliveries is reported once (``ops.bulk_failures``, target ``alert:<id>``).
* **At least once.** The notice is sent first and recorded after; if sending fails nothing is
  recorded and the next round tries again. No transaction is open while talking to Telegram.
* Texts come from the catalogue (``editor.ops.*``) in ``DEFAULT_LANGUAGE``; source names and error
  texts are escaped by aiogram's formatting nodes.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.utils.formatting import Text
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, as_utc
from bot.db.models import Alert, AuditLog, Delivery, Source
from bot.domain import DeliveryStatus
from bot.i18n import t
from bot.metrics import failure_reason
from bot.services.editors import audit

log = logging.getLogger(__name__)

SOURCE_ACTIONS = {
    "unhealthy": "ops.source_unhealthy",
    "stale": "ops.source_stale",
    "ok": "ops.source_recovered",
}
BULK_ACTION = "ops.bulk_failures"


@dataclass(frozen=True, slots=True)
class Notice:
    action: str
    target: str
    text: str  # Telegram HTML


class OpsNotifier:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Clock,
        chat_id: int,
        lang: str = "ar",
        stale_factor: float = 5.0,
        stale_min_seconds: float = 900.0,
        bulk_min_failures: int = 10,
        bulk_ratio: float = 0.2,
        window_hours: float = 24.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._bot = bot
        self._clock = clock
        self.chat_id = chat_id
        self.lang = lang
        self.stale_factor = stale_factor
        self.stale_min_seconds = stale_min_seconds
        self.bulk_min_failures = bulk_min_failures
        self.bulk_ratio = bulk_ratio
        self.window_hours = window_hours

    async def check(self) -> list[Notice]:
        """One round: find what changed, notify, record. Returns the notices delivered."""
        async with self._sessionmaker() as session:
            notices = await self._source_notices(session) + await self._bulk_notices(session)
        delivered: list[Notice] = []
        for notice in notices:
            try:
                await self._bot.send_message(self.chat_id, notice.text, parse_mode="HTML")
            except (TelegramAPIError, TelegramNetworkError) as e:
                log.warning("ops notice %s for %s not delivered: %s", notice.action, notice.target, e)
                continue
            delivered.append(notice)
        if delivered:
            async with self._sessionmaker() as session, session.begin():
                for notice in delivered:
                    await audit(
                        session,
                        actor=None,
                        action=notice.action,
                        target=notice.target,
                        result="ok",
                        clock=self._clock,
                        details={"chat_id": self.chat_id},
                    )
        return delivered

    async def _last_notified(self, session: AsyncSession, actions: list[str]) -> dict[str, str]:
        newest = (
            select(func.max(AuditLog.id))
            .where(AuditLog.action.in_(actions), AuditLog.result == "ok")
            .group_by(AuditLog.target)
        )
        rows = await session.execute(select(AuditLog.target, AuditLog.action).where(AuditLog.id.in_(newest)))
        return {str(target): str(action) for target, action in rows}

    async def _source_notices(self, session: AsyncSession) -> list[Notice]:
        last = await self._last_notified(session, list(SOURCE_ACTIONS.values()))
        state_of_action = {action: state for state, action in SOURCE_ACTIONS.items()}
        now = self._clock.now()
        rows = await session.execute(
            select(
                Source.id,
                Source.name,
                Source.healthy,
                Source.last_success_at,
                Source.created_at,
                Source.interval_seconds,
                Source.failure_count,
                Source.last_error,
            ).where(Source.enabled)
        )
        notices = []
        for sid, name, healthy, last_success, created, interval, failures, error in rows:
            since = as_utc(last_success or created)
            age = (now - since).total_seconds()
            limit = max(self.stale_factor * float(interval), self.stale_min_seconds)
            state = "unhealthy" if not healthy else ("stale" if age > limit else "ok")
            target = f"source:{sid}"
            previous = state_of_action.get(last.get(target, ""), "ok")
            if state == previous:
                continue
            if state == "unhealthy":
                text = t(
                    "editor.ops.source_unhealthy",
                    self.lang,
                    source=name,
                    failures=failures,
                    error=(error or "—")[:300],
                )
            elif state == "stale":
                text = t(
                    "editor.ops.source_stale",
                    self.lang,
                    source=name,
                    age=_ago(age),
                    interval=_ago(float(interval)),
                )
            else:
                text = t("editor.ops.source_recovered", self.lang, source=name)
            notices.append(Notice(SOURCE_ACTIONS[state], target, Text(text).as_html()))
        return notices

    async def _bulk_notices(self, session: AsyncSession) -> list[Notice]:
        since = self._clock.now() - timedelta(hours=self.window_hours)
        failed = func.sum(case((Delivery.status == DeliveryStatus.FAILED.value, 1), else_=0))
        rows = (
            await session.execute(
                select(Delivery.alert_id, func.count(), failed)
                .join(Alert, Alert.id == Delivery.alert_id)
                .where(Alert.created_at >= since)
                .group_by(Delivery.alert_id)
                .having(failed >= self.bulk_min_failures)
            )
        ).all()
        if not rows:
            return []
        done = await self._last_notified(session, [BULK_ACTION])
        notices = []
        for alert_id, total, failures in rows:
            failures = int(failures or 0)
            target = f"alert:{alert_id}"
            if target in done or failures < self.bulk_ratio * int(total):
                continue
            errors = await session.scalars(
                select(Delivery.error)
                .where(Delivery.alert_id == alert_id, Delivery.status == DeliveryStatus.FAILED.value)
                .limit(1000)
            )
            reasons = Counter(failure_reason(error) for error in errors)
            summary = ", ".join(f"{reason} {count}" for reason, count in reasons.most_common(3))
            text = t(
                "editor.ops.bulk_failures",
                self.lang,
                id=alert_id,
                failed=failures,
                total=int(total),
                reasons=summary or "—",
            )
            notices.append(Notice(BULK_ACTION, target, Text(text).as_html()))
        return notices


def _ago(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
