"""The one seam into delivery.

Feed stories (ingestion), editors' /alert and the CMS API all call :func:`create_alert` with an
:class:`~bot.domain.AlertRequest`, then :func:`plan_deliveries`. Invariants:

* An alert with an ``idempotency_key`` that already exists is not created again; its id is returned.
* Planning is one ``INSERT … SELECT`` per recipient kind, executed by the database: memory does not
  grow with the number of subscribers, and the unique key (alert, chat, thread) makes planning
  idempotent — running it twice, or concurrently, never plans a recipient twice.
* Recipients of a flash/urgent alert: every active subscriber with a subscription (any level) to any
  of the alert's topics, and every active channel / forum thread fed one of its topics. Quiet hours
  are ignored.
* Recipients of a normal alert: only ``all``-level subscriptions (no channels). A subscriber inside
  their quiet hours (``quiet_start``/``quiet_end``, minutes after midnight in the subscriber's
  ``timezone``) gets the delivery with ``next_attempt_at`` at the end of the window.
* A retracted alert plans nothing.
* Follow-ups of a stored story (:mod:`bot.services.escalation`) are planned here too, so the rules
  live in one place:

  - ``kind='escalation'`` (a normal story that became urgent/flash): the flash/urgent audience
    **minus every chat/thread that already has the story** — a live (pending, sending or sent)
    delivery of any alert of the story's articles (a normal push, an earlier alert), or, for a
    subscriber with an ``all``-level subscription to one of the topics (held since before the story
    arrived), a digest made after the story was stored (digests list every normal first sighting
    since the previous digest). Urgent-only subscribers and channels get it once; an all-news
    subscriber who already read it in a digest is not pushed the same story twice.
  - ``kind='update'`` (a material change of a pushed story): exactly the chats/threads of the earlier
    push (``parent_alert_id``) whose copy is live and whose subscriber/channel is still active, each
    row carrying ``reply_to_id`` = that earlier delivery, so the sender sends it as a reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import (
    Alert,
    Article,
    Channel,
    Subscriber,
    Subscription,
    Topic,
    alert_topics,
    channel_topics,
)
from bot.delivery import outbox
from bot.delivery.outbox import DELIVERIES, LIVE_STATUSES, timestamp
from bot.domain import AlertRequest, AlertState, Urgency
from bot.exceptions import NotFound, UnknownTopics, ValidationError
from bot.services.quiet_hours import has_window_sql, local_minute, window_contains_sql


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
            raise UnknownTopics(missing)
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
        parent_alert_id=request.parent_alert_id,
    )
    if request.kind is not None:
        alert.kind = request.kind
    session.add(alert)
    await session.flush()
    if topic_ids:
        await session.execute(
            alert_topics.insert(), [{"alert_id": alert.id, "topic_id": tid} for tid in topic_ids]
        )
    return PlannedAlert(alert.id, created=True)


async def plan_deliveries(session: AsyncSession, alert_id: int, clock: Clock) -> int:
    """Create one pending delivery per recipient of ``alert_id``; returns how many were added.

    Runs entirely in the database (``INSERT … SELECT``): no subscriber row is loaded into Python, so
    memory does not depend on the audience. Normal items are planned per subscriber time zone (the
    number of distinct zones is bounded, not the number of subscribers) so quiet hours can be
    evaluated in local time even on SQLite, which has no time-zone support.
    """
    alert = await session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id}")
    if alert.state == AlertState.RETRACTED:
        return 0
    urgency = Urgency(alert.urgency)
    now = clock.now()
    if alert.kind == "update":
        added = await _plan_update(session, alert, urgency, now)
        alert.planned_at = now
        return added
    topic_ids = select(alert_topics.c.topic_id).where(alert_topics.c.alert_id == alert_id)
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    had_story: _HadStory | None = None
    if alert.kind == "escalation" and alert.article_id is not None:
        had_story = await _had_story(session, alert_id, alert.article_id, topic_ids)

    async def insert(recipients: Select[Any], next_attempt: Any = None) -> int:
        return await outbox.insert_planned(
            session, recipients, alert_id=alert_id, urgency=urgency, now=now, next_attempt=next_attempt
        )

    added = 0
    if urgency.is_breaking:
        # flash/urgent: every level, every channel, quiet hours ignored
        skip = () if had_story is None else (~had_story.subscriber,)
        added += await insert(subscriber_recipients(topic_ids, urgency, *skip))
        skip = () if had_story is None else (~had_story.channel,)
        channels = channel_recipients(topic_ids, urgency, *skip)
        if channels is not None:
            added += await insert(channels)
    else:
        # normal: only "all"-level subscriptions; deferred to the end of the subscriber's quiet hours
        quiet = has_window_sql(Subscriber.quiet_start, Subscriber.quiet_end)
        added += await insert(subscriber_recipients(topic_ids, urgency, ~quiet))
        zones = (
            select(Subscriber.timezone)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .where(*_subscriber_audience(topic_ids, urgency), quiet)
            .distinct()
        )
        for zone in list(await session.scalars(zones)):
            minute = local_minute(now, zone)
            base = now.replace(second=0, microsecond=0)
            wait = (Subscriber.quiet_end - minute + 1440) % 1440
            inside = window_contains_sql(Subscriber.quiet_start, Subscriber.quiet_end, minute)
            next_attempt = case((inside, _plus_minutes(dialect, base, wait)), else_=timestamp(now))
            recipients = subscriber_recipients(topic_ids, urgency, quiet, Subscriber.timezone == zone)
            added += await insert(recipients, next_attempt)
    alert.planned_at = now
    return added


def _subscriber_audience(topic_ids: Any, urgency: Urgency) -> tuple[Any, ...]:
    """Which subscriptions an alert of ``urgency`` on ``topic_ids`` reaches (see the module docstring)."""
    reached = (Subscriber.active.is_(True), Subscription.topic_id.in_(topic_ids))
    return reached if urgency.is_breaking else (*reached, Subscription.level == "all")


def subscriber_recipients(topic_ids: Any, urgency: Urgency, *where: Any) -> Select[Any]:
    """``(chat_id, thread_id, subscriber_id, channel_id)`` of the subscribers an alert reaches.

    ``topic_ids`` is a list of ids or a sub-select. The one definition of the subscriber audience:
    :func:`plan_deliveries` queues these rows and :func:`audience` counts them, so the number an
    editor is shown before sending is the number of deliveries planned.
    """
    return (
        select(*_columns(Subscriber.chat_id, Subscription.thread_id, Subscriber.id, literal(None, Integer)))
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(*_subscriber_audience(topic_ids, urgency), *where)
        .distinct()
    )


def channel_recipients(topic_ids: Any, urgency: Urgency, *where: Any) -> Select[Any] | None:
    """The channels (and forum threads) an alert reaches — none for a normal alert (see module doc)."""
    if not urgency.is_breaking:
        return None
    return (
        select(*_columns(Channel.chat_id, Channel.thread_id, literal(None, Integer), Channel.id))
        .join(channel_topics, channel_topics.c.channel_id == Channel.id)
        .where(Channel.active.is_(True), channel_topics.c.topic_id.in_(topic_ids), *where)
        .distinct()
    )


def _columns(*columns: Any) -> tuple[Any, ...]:
    """Recipient columns in :data:`~bot.delivery.outbox.PLAN_COLUMNS` order: chat, thread, subscriber,
    channel."""
    return columns


async def audience(session: AsyncSession, topic_ids: Sequence[int], urgency: Urgency) -> int:
    """How many chats (and forum threads) a new alert on these topics would be planned for right now.

    Counted from the very queries :func:`plan_deliveries` inserts, one per (chat, thread) as the
    outbox's unique key (alert, chat, thread) does; quiet hours only delay a delivery, so they do not
    change the count.
    """
    if not topic_ids:
        return 0
    ids = list(topic_ids)
    parts = [subscriber_recipients(ids, urgency)]
    channels = channel_recipients(ids, urgency)
    if channels is not None:
        parts.append(channels)
    both = union(*(part.with_only_columns(*list(part.selected_columns)[:2]) for part in parts)).subquery()
    return int(await session.scalar(select(func.count()).select_from(both)) or 0)


@dataclass(frozen=True, slots=True)
class _HadStory:
    """Correlated conditions: "this subscriber row / channel row already has the story"."""

    subscriber: Any
    channel: Any


async def _had_story(session: AsyncSession, alert_id: int, article_id: int, topic_ids: Any) -> _HadStory:
    """Who already has the story of ``article_id`` (see the module docstring, ``escalation``)."""
    row = (
        await session.execute(select(Article.story_id, Article.id).where(Article.id == article_id))
    ).first()
    root_id = article_id if row is None or row.story_id is None else int(row.story_id)
    root_detected = await session.scalar(select(Article.detected_at).where(Article.id == root_id))
    story = select(Article.id).where(or_(Article.id == root_id, Article.story_id == root_id))
    had = DELIVERIES.alias("had")
    earlier = Alert.__table__.alias("earlier")

    def pushed(chat: Any, thread: Any) -> Any:
        return (
            select(had.c.id)
            .join(earlier, earlier.c.id == had.c.alert_id)
            .where(
                had.c.chat_id == chat,
                had.c.thread_id == thread,
                had.c.status.in_(LIVE_STATUSES),
                earlier.c.id != alert_id,
                earlier.c.article_id.in_(story),
            )
            .exists()
        )

    held = Subscription.__table__.alias("held")
    if root_detected is None:  # the story's first sighting is gone: only pushes can tell
        return _HadStory(
            subscriber=pushed(Subscriber.chat_id, Subscription.thread_id),
            channel=pushed(Channel.chat_id, Channel.thread_id),
        )
    digested = and_(
        select(held.c.id)
        .where(
            held.c.subscriber_id == Subscriber.id,
            held.c.thread_id == Subscription.thread_id,
            held.c.level == "all",
            held.c.topic_id.in_(topic_ids),
            held.c.created_at <= root_detected,
        )
        .exists(),
        select(had.c.id)
        .join(earlier, earlier.c.id == had.c.alert_id)
        .where(
            had.c.chat_id == Subscriber.chat_id,
            had.c.thread_id == Subscription.thread_id,
            had.c.status.in_(LIVE_STATUSES),
            earlier.c.kind == "digest",
            earlier.c.created_at >= root_detected,
        )
        .exists(),
    )
    return _HadStory(
        subscriber=or_(pushed(Subscriber.chat_id, Subscription.thread_id), digested),
        channel=pushed(Channel.chat_id, Channel.thread_id),
    )


async def _plan_update(session: AsyncSession, alert: Alert, urgency: Urgency, now: datetime) -> int:
    """One delivery per live copy of the earlier push, replying to it (see the module docstring)."""
    if alert.parent_alert_id is None:
        return 0
    earlier = DELIVERIES.alias("earlier")
    active = or_(
        select(Subscriber.id)
        .where(Subscriber.id == earlier.c.subscriber_id, Subscriber.active.is_(True))
        .exists(),
        select(Channel.id).where(Channel.id == earlier.c.channel_id, Channel.active.is_(True)).exists(),
    )
    recipients = select(
        earlier.c.chat_id, earlier.c.thread_id, earlier.c.subscriber_id, earlier.c.channel_id
    ).where(earlier.c.alert_id == alert.parent_alert_id, earlier.c.status.in_(LIVE_STATUSES), active)
    return await outbox.insert_planned(
        session, recipients, alert_id=alert.id, urgency=urgency, now=now, reply_to=earlier.c.id
    )


def _plus_minutes(dialect: str, base: datetime, minutes: Any) -> Any:
    """``base + minutes`` evaluated by the database, in the column's storage format."""
    if dialect == "postgresql":
        return timestamp(base) + func.make_interval(0, 0, 0, 0, 0, minutes)
    # SQLite stores UTCDateTime as "YYYY-MM-DD HH:MM:SS.ffffff" (UTC); base has whole minutes.
    stamp = base.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    shifted = func.strftime(
        "%Y-%m-%d %H:%M:%S", stamp, "+" + cast(minutes, String) + " minutes", type_=String
    )
    return shifted + ".000000"
