"""The one seam into delivery.

Feed stories (ingestion), editors' /alert and the CMS API all call :func:`create_alert` with an
:class:`~bot.domain.AlertRequest`, then :func:`plan_deliveries`. Invariants:

* An alert with an ``idempotency_key`` that already exists is not created again; its id is returned.
* Planning is one ``INSERT … SELECT`` per recipient kind, executed by the database: memory does not
  grow with the number of subscribers, and the unique key (alert, chat, thread) makes planning
  idempotent — running it twice, or concurrently, never plans a recipient twice.
* Recipients: every active subscriber with a subscription to any of the alert's topics (``urgent``
  level subscriptions only get flash/urgent alerts), and every active channel fed one of its topics.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, Table, and_, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import (
    Alert,
    Channel,
    Delivery,
    Subscriber,
    Subscription,
    Topic,
    alert_topics,
    channel_topics,
)
from bot.db.upsert import insert_ignore_from_select
from bot.domain import AlertRequest, AlertState, DeliveryStatus, Urgency
from bot.exceptions import NotFound, ValidationError

DELIVERIES: Table = Delivery.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class PlannedAlert:
    alert_id: int
    created: bool  # False when an idempotency key matched an existing alert


async def create_alert(session: AsyncSession, request: AlertRequest, clock: Clock) -> PlannedAlert:
    """Store an alert and its topics. Does not plan recipients (see :func:`plan_deliveries`)."""
    headline = request.headline.strip()
    if not headline:
        raise ValidationError("an alert needs a headline")
    if request.idempotency_key:
        existing = await session.scalar(
            select(Alert.id).where(Alert.idempotency_key == request.idempotency_key)
        )
        if existing is not None:
            return PlannedAlert(existing, created=False)
    topic_ids: list[int] = []
    if request.topics:
        rows = (
            await session.execute(select(Topic.id, Topic.slug).where(Topic.slug.in_(request.topics)))
        ).all()
        found = {slug: topic_id for topic_id, slug in rows}
        missing = [slug for slug in request.topics if slug not in found]
        if missing:
            raise ValidationError(f"unknown topics: {', '.join(missing)}")
        topic_ids = [found[slug] for slug in request.topics]
    now = clock.now()
    alert = Alert(
        article_id=request.article_id,
        headline=headline,
        body=request.body,
        url=request.url,
        urgency=request.urgency.value,
        state=AlertState.ACTIVE.value,
        source_name=request.source_name,
        editor_id=request.editor_id,
        idempotency_key=request.idempotency_key,
        published_at=request.published_at,
        detected_at=request.detected_at or now,
        created_at=now,
    )
    session.add(alert)
    await session.flush()
    if topic_ids:
        await session.execute(
            alert_topics.insert(), [{"alert_id": alert.id, "topic_id": tid} for tid in topic_ids]
        )
    return PlannedAlert(alert.id, created=True)


async def plan_deliveries(session: AsyncSession, alert_id: int, clock: Clock) -> int:
    """Create one pending delivery per recipient of ``alert_id``; returns how many were added."""
    alert = await session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id}")
    urgency = Urgency(alert.urgency)
    now = clock.now()
    topic_ids = select(alert_topics.c.topic_id).where(alert_topics.c.alert_id == alert_id)
    level_ok = literal(True) if urgency.is_breaking else Subscription.level == "all"

    columns = [
        "alert_id",
        "chat_id",
        "thread_id",
        "subscriber_id",
        "channel_id",
        "priority",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "updated_at",
    ]
    common = (
        literal(urgency.rank, Integer),
        literal(DeliveryStatus.PENDING.value),
        literal(0, Integer),
        literal(now, DELIVERIES.c.next_attempt_at.type),
        literal(now, DELIVERIES.c.created_at.type),
        literal(now, DELIVERIES.c.updated_at.type),
    )
    subscribers = (
        select(
            literal(alert_id, Integer),
            Subscriber.chat_id,
            Subscription.thread_id,
            Subscriber.id,
            literal(None, Integer),
            *common,
        )
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(Subscriber.active.is_(True), Subscription.topic_id.in_(topic_ids), level_ok)
        .distinct()
    )
    channels = (
        select(
            literal(alert_id, Integer),
            Channel.chat_id,
            Channel.thread_id,
            literal(None, Integer),
            Channel.id,
            *common,
        )
        .join(channel_topics, channel_topics.c.channel_id == Channel.id)
        .where(Channel.active.is_(True), channel_topics.c.topic_id.in_(topic_ids))
        .distinct()
    )
    added = 0
    for query in (subscribers, channels):
        added += await insert_ignore_from_select(session, DELIVERIES, columns, query)
    alert.planned_at = now
    return added


async def cancel_pending_for_chat(session: AsyncSession, chat_id: int, reason: str, clock: Clock) -> int:
    """Cancel everything still queued for a chat that is gone (blocked the bot, kicked it …)."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.chat_id == chat_id,
            or_(
                Delivery.status == DeliveryStatus.PENDING.value,
                and_(Delivery.status == DeliveryStatus.SENDING.value, Delivery.lease_until < clock.now()),
            ),
        )
        .values(status=DeliveryStatus.CANCELLED.value, error=reason, updated_at=clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
