"""Corrections and retractions of alerts that may already be on many phones.

The services only *mark* work in the outbox; the sender (:mod:`bot.delivery.sender`) applies it
through the same limiters as new messages. Invariants:

* :func:`correct_alert` sets the alert to ``corrected`` (``correction_text``, ``corrected_at``) and
  ``edit_state='pending'`` on every copy already sent (or being sent right now): each one is edited with
  ``editMessageText`` — Telegram has no age limit on editing a bot's own messages. Copies still pending
  are not touched: the sender renders the corrected text when it sends them.
* :func:`retract_alert` sets the alert to ``retracted`` (``retracted_at``), cancels every copy still
  pending, and marks every sent (or in-flight) copy ``edit_state='pending'``: the sender deletes copies
  younger than 48 hours and edits older ones into a retraction notice (:mod:`bot.i18n`, both languages).
* Marking a copy pending again clears any edit lease and attempt count, so an edit of an earlier
  correction that is still in flight cannot mark the newer one done (its update is guarded by the lease).
* Nothing here commits: the caller owns the transaction; wake the sender after commit.

``edit_state``: ``NULL`` never edited, ``pending`` to do, ``done``, ``failed`` (reason in ``error``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, as_utc
from bot.db.models import Alert, Delivery
from bot.domain import MAX_HEADLINE, AlertState, DeliveryStatus
from bot.exceptions import NotFound, ValidationError
from bot.news.text import clean_text

MAX_CORRECTION = MAX_HEADLINE
"""Longest correction text accepted: a correction replaces the headline, so the headline's limit applies
(one rule for /correct, the CMS API and the console; a longer text would be cut in the push)."""


@dataclass(frozen=True)
class DeliveryProgress:
    """Where one alert's fan-out and its follow-up edits stand (``pending`` includes in-flight sends)."""

    total: int
    sent: int
    failed: int
    pending: int
    cancelled: int
    edits_pending: int
    edits_done: int
    edits_failed: int
    first_sent_at: datetime | None
    last_sent_at: datetime | None


async def _alert(session: AsyncSession, alert_id: int) -> Alert:
    alert = await session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise NotFound(f"alert {alert_id}")
    return alert


async def _mark_copies_for_edit(session: AsyncSession, alert_id: int, now: datetime) -> int:
    """``edit_state='pending'`` on sent copies (lease and attempts reset) and on in-flight ones.

    One statement on purpose: with two (one for ``sent``, one for ``sending``), a copy whose send is
    recorded between them is matched by neither — on PostgreSQL the second UPDATE waits for the
    sender's row lock, re-checks ``status='sending'`` on the committed row, finds ``sent`` and skips
    it — and that copy would never be corrected. ``status IN (sent, sending)`` matches it either way.
    An in-flight copy keeps its lease: the sender that holds it records the send outcome, and once
    recorded as sent it is edited like the others.
    """
    is_sent = Delivery.status == DeliveryStatus.SENT.value
    marked = await session.execute(
        update(Delivery)
        .where(
            Delivery.alert_id == alert_id,
            Delivery.status.in_([DeliveryStatus.SENT.value, DeliveryStatus.SENDING.value]),
        )
        .values(
            edit_state="pending",
            next_attempt_at=case((is_sent, now), else_=Delivery.next_attempt_at),
            attempts=case((is_sent, 0), else_=Delivery.attempts),
            lease_owner=case((is_sent, None), else_=Delivery.lease_owner),
            lease_until=case((is_sent, None), else_=Delivery.lease_until),
            error=case((is_sent, None), else_=Delivery.error),
            updated_at=now,
        )
    )
    return _rowcount(marked)


async def correct_alert(session: AsyncSession, alert_id: int, text: str, *, clock: Clock) -> int:
    """Correct an alert's headline everywhere; returns how many sent (or in-flight) copies will be edited."""
    text = clean_text(text)  # the one cleaning every front end's text goes through (bot.news.text)
    if not text:
        raise ValidationError("a correction needs text")
    if len(text) > MAX_CORRECTION:
        raise ValidationError(f"a correction may have at most {MAX_CORRECTION} characters")
    alert = await _alert(session, alert_id)
    if alert.state == AlertState.RETRACTED:
        raise ValidationError("this alert was retracted; it can no longer be corrected")
    now = clock.now()
    alert.state = AlertState.CORRECTED
    alert.correction_text = text
    alert.corrected_at = now
    await session.flush()
    return await _mark_copies_for_edit(session, alert_id, now)


async def retract_alert(session: AsyncSession, alert_id: int, *, clock: Clock) -> int:
    """Retract an alert: cancel unsent copies, delete (or, after 48 h, edit) sent ones.

    Returns how many sent (or in-flight) copies will be deleted or edited; retracting twice returns 0.
    """
    alert = await _alert(session, alert_id)
    if alert.state == AlertState.RETRACTED:
        return 0
    now = clock.now()
    alert.state = AlertState.RETRACTED
    alert.retracted_at = now
    await session.flush()
    await session.execute(
        update(Delivery)
        .where(Delivery.alert_id == alert_id, Delivery.status == DeliveryStatus.PENDING.value)
        .values(status=DeliveryStatus.CANCELLED.value, error="alert retracted", updated_at=now)
    )
    return await _mark_copies_for_edit(session, alert_id, now)


async def delivery_progress(session: AsyncSession, alert_id: int) -> DeliveryProgress:
    """Counts by status and edit state, and the first/last send time, in one query."""
    if await session.get(Alert, alert_id) is None:
        raise NotFound(f"alert {alert_id}")
    sent = Delivery.status == DeliveryStatus.SENT.value

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = (
        await session.execute(
            select(
                func.count(Delivery.id),
                count(sent),
                count(Delivery.status == DeliveryStatus.FAILED.value),
                count(Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value])),
                count(Delivery.status == DeliveryStatus.CANCELLED.value),
                count(and_(sent, Delivery.edit_state == "pending")),
                count(and_(sent, Delivery.edit_state == "done")),
                count(and_(sent, Delivery.edit_state == "failed")),
                func.min(Delivery.sent_at),
                func.max(Delivery.sent_at),
            ).where(Delivery.alert_id == alert_id)
        )
    ).one()
    return DeliveryProgress(
        total=int(row[0]),
        sent=int(row[1]),
        failed=int(row[2]),
        pending=int(row[3]),
        cancelled=int(row[4]),
        edits_pending=int(row[5]),
        edits_done=int(row[6]),
        edits_failed=int(row[7]),
        first_sent_at=as_utc(row[8]) if row[8] is not None else None,
        last_sent_at=as_utc(row[9]) if row[9] is not None else None,
    )


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
