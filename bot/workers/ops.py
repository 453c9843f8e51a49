"""Operational notices to the ops chat (``OPS_CHAT_ID``): sources unhealthy or stale, bulk delivery failures.

Design and invariants
---------------------
* A periodic scheduler job (:meth:`OpsNotifier.check`) **reads the database** — the poller and the
  sender need no hooks: ``sources.healthy``/``last_success_at`` and ``deliveries.status`` already say
  everything.
* **Transitions, not levels.** A source is ``ok``, ``stale`` (healthy, but no success for
  ``max(stale_factor × interval, stale_min_seconds)``) or ``unhealthy`` (the poller's verdict). A notice
  goes out when that state differs from the last one *notified*; the last notified state is kept in
  the ``ops_notices`` table (:mod:`bot.services.ops_notices`, one row per subject ``source:<id>``), so
  a restart or a second instance does not repeat notices — the audit row written beside it is only a
  record. An alert whose failures reach ``bulk_min_failures`` and ``bulk_ratio`` of
  its deliveries is reported once (``ops.bulk_failures``, target ``alert:<id>``).
* **At least once.** The notice is sent first and recorded after; if sending fails nothing is
  recorded and the next round tries again. No transaction is open while talking to Telegram.
* Texts come from the catalogue (``editor.ops.*``) in ``DEFAULT_LANGUAGE``; source names and error
  texts are escaped by aiogram's formatting nodes.

The newsroom's pulse (:class:`PulseMonitor`)
--------------------------------------------
Two whole-newsroom signals, each turned into a state by a pure decider (:func:`judge_pulse`):
**no source has succeeded for** ``PULSE__SOURCES_MINUTES`` (only when sources are configured), and
**due deliveries have waited** ``PULSE__DELIVERIES_SECONDS`` **with no send** (the oldest due pending
delivery is older than that, and this process's sender accepted nothing for as long). ``/healthz``
shows the states (``degraded`` while one is weak); the ops chat is told on each transition, at most
once per transition per process (best effort: a failed notice is retried on the next round).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.utils.formatting import Text
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, as_utc
from bot.config import PulseSettings
from bot.db.models import Source
from bot.delivery import outbox_counts
from bot.i18n import t
from bot.metrics import failure_reason
from bot.services import ops_notices
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
                    await ops_notices.record_notified(session, notice.target, notice.action, self._clock)
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
        """The last notice told per subject: the ``ops_notices`` table, not the audit log (a record)."""
        return await ops_notices.last_notified(session, actions)

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
        tallies = await outbox_counts.failure_tallies_since(session, since, min_failed=self.bulk_min_failures)
        if not tallies:
            return []
        done = await self._last_notified(session, [BULK_ACTION])
        notices = []
        for tally in tallies:
            alert_id, total, failures = tally.alert_id, tally.total, tally.failed
            target = f"alert:{alert_id}"
            if target in done or failures < self.bulk_ratio * total:
                continue
            errors = await outbox_counts.failure_errors(session, alert_id, limit=1000)
            reasons = Counter(failure_reason(error) for error in errors)
            summary = ", ".join(f"{reason} {count}" for reason, count in reasons.most_common(3))
            text = t(
                "editor.ops.bulk_failures",
                self.lang,
                id=alert_id,
                failed=failures,
                total=total,
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


# --- the newsroom's pulse --------------------------------------------------------------------------
PULSE_OK = "ok"
NO_SOURCES = "none configured"


@dataclass(frozen=True, slots=True)
class PulseFacts:
    """What the pulse is judged on, read from the database and the sender."""

    now: datetime
    sources: int  # enabled sources
    last_source_success: datetime | None  # newest last_success_at (else newest created_at)
    oldest_due: datetime | None  # oldest next_attempt_at of a due pending delivery
    last_send: datetime  # when this process last had a message accepted (or started)


@dataclass(frozen=True, slots=True)
class PulseReading:
    sources: str  # ok | none configured | "no source succeeded for 31m"
    deliveries: str  # ok | "due deliveries waiting 130s with no send"
    sources_age: float = 0.0  # seconds, when weak
    deliveries_age: float = 0.0

    @property
    def weak(self) -> list[str]:
        """Names of the weak signals (for /healthz ``degraded``)."""
        out = []
        if self.sources not in (PULSE_OK, NO_SOURCES):
            out.append("pulse_sources")
        if self.deliveries != PULSE_OK:
            out.append("pulse_deliveries")
        return out


def judge_pulse(facts: PulseFacts, settings: PulseSettings) -> PulseReading:
    """Pure: the pulse's two states from the facts."""
    sources, sources_age = PULSE_OK, 0.0
    if facts.sources == 0:
        sources = NO_SOURCES
    elif facts.last_source_success is not None:
        age = (facts.now - facts.last_source_success).total_seconds()
        if age > settings.sources_minutes * 60:
            sources, sources_age = f"no source succeeded for {_ago(age)}", age
    deliveries, deliveries_age = PULSE_OK, 0.0
    if facts.oldest_due is not None:
        waited = (facts.now - facts.oldest_due).total_seconds()
        silent = (facts.now - facts.last_send).total_seconds()
        if min(waited, silent) > settings.deliveries_seconds:
            deliveries_age = min(waited, silent)
            deliveries = f"due deliveries waiting {_ago(deliveries_age)} with no send"
    return PulseReading(sources, deliveries, sources_age, deliveries_age)


class PulseMonitor:
    """Reads the pulse (for /healthz) and tells the ops chat when it weakens or recovers."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: PulseSettings,
        last_send: Callable[[], datetime | None],
        bot: Bot | None = None,
        chat_id: int | None = None,
        lang: str = "ar",
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._settings = settings
        self._last_send = last_send
        self._bot = bot
        self._chat_id = chat_id
        self._lang = lang
        self._started = clock.now()
        self._told: dict[str, str] = {"sources": PULSE_OK, "deliveries": PULSE_OK}

    async def facts(self) -> PulseFacts:
        now = self._clock.now()
        async with self._sessionmaker() as session:
            count, success, created = (
                await session.execute(
                    select(func.count(), func.max(Source.last_success_at), func.max(Source.created_at)).where(
                        Source.enabled
                    )
                )
            ).one()
            oldest = await outbox_counts.oldest_due(session, now)
        last_source = success or created
        return PulseFacts(
            now=now,
            sources=int(count or 0),
            last_source_success=None if last_source is None else max(as_utc(last_source), self._started),
            oldest_due=oldest,
            last_send=max(self._last_send() or self._started, self._started),
        )

    async def read(self) -> PulseReading:
        return judge_pulse(await self.facts(), self._settings)

    async def check(self) -> PulseReading:
        """One round: read, and tell the ops chat about each state that changed since last told."""
        reading = await self.read()
        signals = (
            ("sources", reading.sources, reading.sources_age),
            ("deliveries", reading.deliveries, reading.deliveries_age),
        )
        for name, state, age in signals:
            told = self._told[name]
            if state == NO_SOURCES or (state == PULSE_OK) == (told == PULSE_OK):
                continue
            if state == PULSE_OK:
                text = t("editor.ops.pulse_ok", self._lang, what=name)
            else:
                text = t(f"editor.ops.pulse_{name}", self._lang, age=_ago(age))
            log.warning("pulse: %s %s", name, state)
            if await self._tell(text):
                self._told[name] = state
        return reading

    async def _tell(self, text: str) -> bool:
        if self._bot is None or self._chat_id is None:
            return True
        try:
            await self._bot.send_message(self._chat_id, Text(text).as_html(), parse_mode="HTML")
        except (TelegramAPIError, TelegramNetworkError) as e:
            log.warning("pulse notice not delivered: %s", e)
            return False
        return True
