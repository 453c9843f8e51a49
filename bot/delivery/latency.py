"""Detection-to-push latency of each alert: its first push and the end of its fan-out.

Measured where outcomes are written, inside the same transaction (:meth:`PushLatency.first_pushes`
before the batch is stored, :meth:`PushLatency.last_pushes` after), so "first" means no copy was
recorded as sent before this batch, and "last" means nothing of the alert is left queued or leased.
Each alert is reported at most once per sender run for each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.clock import Clock
from bot.delivery import outbox_counts
from bot.delivery.leases import JobKind, Outcome
from bot.domain import DeliveryStatus

log = logging.getLogger(__name__)

DetectedAt = Callable[[int], datetime | None]
"""When an alert was detected (``None``: unknown to this sender), from the sender's alert cache."""
Latencies = list[tuple[int, float]]
"""``(alert id, seconds after detection)``."""


class PushLatency:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._first_checked: set[int] = set()
        self._last_done: set[int] = set()

    def reset(self) -> None:
        self._first_checked.clear()
        self._last_done.clear()

    async def first_pushes(
        self, session: AsyncSession, batch: Sequence[Outcome], detected_at: DetectedAt
    ) -> Latencies:
        """Alerts whose first copy is sent in ``batch`` (call before the batch is recorded)."""
        earliest: dict[int, datetime] = {}
        for o in batch:
            if (
                o.job.kind is JobKind.SEND
                and o.status is DeliveryStatus.SENT
                and o.sent_at is not None
                and o.job.alert_id not in self._first_checked
            ):
                alert_id = o.job.alert_id
                earliest[alert_id] = min(earliest.get(alert_id, o.sent_at), o.sent_at)
        found: Latencies = []
        for alert_id, sent_at in earliest.items():
            self._first_checked.add(alert_id)
            already = await outbox_counts.has_sent(session, alert_id)
            detected = detected_at(alert_id)
            if not already and detected is not None:
                found.append((alert_id, max(0.0, (sent_at - detected).total_seconds())))
        return found

    async def last_pushes(
        self,
        session: AsyncSession,
        batch: Sequence[Outcome],
        queued: Mapping[int, int],
        detected_at: DetectedAt,
    ) -> Latencies:
        """Alerts whose fan-out ``batch`` finished (call after it is recorded).

        ``queued`` counts each alert's jobs this sender still holds, the batch included: an alert with
        more of them than the batch has cannot be finished, and is not queried.
        """
        in_batch: dict[int, int] = {}
        for o in batch:
            in_batch[o.job.alert_id] = in_batch.get(o.job.alert_id, 0) + 1
        candidates: dict[int, datetime] = {}
        for o in batch:
            alert_id = o.job.alert_id
            if (
                o.job.kind is not JobKind.SEND
                or alert_id in self._last_done
                or queued.get(alert_id, 0) > in_batch[alert_id]
            ):
                continue
            stamp = o.sent_at or self._clock.now()
            candidates[alert_id] = max(candidates.get(alert_id, stamp), stamp)
        found: Latencies = []
        for alert_id, last in candidates.items():
            busy = await outbox_counts.has_unfinished(session, alert_id)
            detected = detected_at(alert_id)
            if not busy and detected is not None:
                self._last_done.add(alert_id)
                found.append((alert_id, max(0.0, (last - detected).total_seconds())))
        return found


def observe(first: Latencies, last: Latencies) -> None:
    """Report measured latencies (after the transaction committed)."""
    for alert_id, seconds in first:
        metrics.DETECT_TO_FIRST_PUSH.observe(seconds)
        log.info("alert %s: first push %.1fs after detection", alert_id, seconds)
    for alert_id, seconds in last:
        metrics.DETECT_TO_LAST_PUSH.observe(seconds)
        log.info("alert %s: fan-out finished %.1fs after detection", alert_id, seconds)


__all__ = ["DetectedAt", "Latencies", "PushLatency", "observe"]
