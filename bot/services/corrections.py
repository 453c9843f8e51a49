"""Corrections and retractions of alerts that may already be on many phones.

The services only *mark* work in the outbox (through :mod:`bot.delivery.outbox`, which owns every
delivery row change); the sender (:mod:`bot.delivery.sender`) applies it through the same limiters as
new messages. Invariants:

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

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Alert
from bot.delivery import outbox, outbox_counts
from bot.delivery.outbox_counts import DeliveryProgress as DeliveryProgress  # re-exported: progress panels
from bot.domain import MAX_HEADLINE, AlertState
from bot.exceptions import NotFound, ValidationError
from bot.news.text import clean_text

MAX_CORRECTION = MAX_HEADLINE
"""Longest correction text accepted: a correction replaces the headline, so the headline's limit applies
(one rule for /correct, the CMS API and the console; a longer text would be cut in the push)."""


async def _alert(session: AsyncSession, alert_id: int) -> Alert:
    alert = await session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise NotFound(f"alert {alert_id}")
    return alert


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
    return await outbox.mark_for_edit(session, alert_id, now)


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
    await outbox.cancel_pending_for_alert(session, alert_id, "alert retracted", now)
    return await outbox.mark_for_edit(session, alert_id, now)


async def delivery_progress(session: AsyncSession, alert_id: int) -> DeliveryProgress:
    """Counts by status and edit state, and the first/last send time (:func:`outbox_counts.progress`)."""
    if await session.get(Alert, alert_id) is None:
        raise NotFound(f"alert {alert_id}")
    return await outbox_counts.progress(session, alert_id)
