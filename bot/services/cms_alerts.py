"""Alerts a CMS submits over the HTTP API: idempotency keys, the "same request" check and replays.

Design and invariants
---------------------
* **The rules of a new alert are not here.** Topics must exist, a headline is required, recipients
  are planned — all by :func:`bot.services.editor_alerts.send_alert` →
  :func:`bot.services.alerts.create_alert`, the seam every front end uses. This module adds only what
  an idempotent HTTP request needs on top, so the API repeats none of those rules.
* **Keys.** A client's ``Idempotency-Key: K`` is stored as ``cms:K`` in the unique
  ``alerts.idempotency_key`` column (the prefix keeps the CMS's keys apart from any other front end's).
* **Replay or conflict.** A key seen before with the *same* request (:func:`same_request`: headline,
  body, link, level and topic set) gives back the stored alert — nothing is planned twice; with a
  different request it is a :class:`KeyConflict`. Concurrent duplicates are settled by the unique
  index: ``send_alert`` reports the loser as not created, which is a replay here.
* **Outcomes, not HTTP.** :func:`submit_alert` returns a small frozen record (:data:`Submission`);
  the API maps it to a status code and writes the audit row in the same transaction. The caller owns
  the transaction and wakes the sender after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain import Urgency
from bot.exceptions import UnknownTopics
from bot.services.editor_alerts import Draft, StoredAlert, alert_id_by_key, get_alert, recipients, send_alert

KEY_PREFIX = "cms:"


@dataclass(frozen=True, slots=True)
class CmsAlert:
    """A validated request of the CMS: what a replay is compared with."""

    headline: str
    body: str | None
    url: str | None
    urgency: Urgency
    topics: tuple[str, ...]  # slugs, duplicates already removed, in the client's order


@dataclass(frozen=True, slots=True)
class Accepted:
    alert_id: int
    recipients: int  # deliveries of the alert in the outbox
    replayed: bool  # True: the key matched an earlier request; nothing new was planned


@dataclass(frozen=True, slots=True)
class UnknownTopic:
    """The first topic of the request that does not exist (``index`` into :attr:`CmsAlert.topics`)."""

    index: int
    slug: str


@dataclass(frozen=True, slots=True)
class KeyConflict:
    """The key was used before with a different request (for the alert ``alert_id``)."""

    alert_id: int


Submission = Accepted | UnknownTopic | KeyConflict


def stored_key(client_key: str | None) -> str | None:
    """The column value for a client's ``Idempotency-Key`` (``None``: no key, no idempotency)."""
    return f"{KEY_PREFIX}{client_key}" if client_key else None


def same_request(stored: StoredAlert, request: CmsAlert) -> bool:
    """Is ``request`` the one that created ``stored`` (so a repeated key is a replay, not a conflict)?"""
    return (
        stored.headline == request.headline.strip()
        and (stored.body or None) == request.body
        and (stored.url or None) == request.url
        and stored.urgency is request.urgency
        and set(stored.topic_slugs) == set(request.topics)
    )


async def submit_alert(
    session: AsyncSession, request: CmsAlert, *, client_key: str | None, clock: Clock
) -> Submission:
    """Store and plan ``request``, or find the earlier alert of the same key (see the module doc)."""
    key = stored_key(client_key)
    if key is not None:
        existing = await alert_id_by_key(session, key)
        if existing is not None:
            return await _replay(session, existing, request)
    try:
        sent = await send_alert(
            session,
            Draft(request.headline, request.body, request.url),
            urgency=request.urgency,
            topic_slugs=request.topics,
            clock=clock,
            idempotency_key=key,
        )
    except UnknownTopics as e:
        first = next(i for i, slug in enumerate(request.topics) if slug in e.slugs)
        return UnknownTopic(first, request.topics[first])
    if not sent.created:  # a concurrent request with the same key stored it first
        return await _replay(session, sent.alert_id, request)
    return Accepted(sent.alert_id, sent.recipients, replayed=False)


async def _replay(session: AsyncSession, alert_id: int, request: CmsAlert) -> Accepted | KeyConflict:
    if not same_request(await get_alert(session, alert_id), request):
        return KeyConflict(alert_id)
    return Accepted(alert_id, await recipients(session, alert_id), replayed=True)
