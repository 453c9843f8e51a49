"""Digests: normal (non-breaking) news for "all news" subscribers, bundled at most every N minutes.

Why: flash and urgent stories are pushed one by one the moment they are found (and ignore quiet
hours); everything else would be noise as single pushes, so a subscriber who asked for *all* news of
a topic gets it as one silent message listing the headlines, at most every ``DIGEST_MINUTES``.

How (the worker :class:`bot.workers.digest.Digester`, a scheduler job every minute, calls
:func:`due_subscribers` then :func:`digest_for` for each; this module decides and writes, the worker
only loops):

* Candidates (one query per tick, :func:`due_subscribers`): active subscribers whose ``last_digest_at`` is NULL or at least
  ``DIGEST_MINUTES`` old and who have news (below) in a ``level='all'`` subscription.
* A candidate in its quiet hours (its own time zone) is skipped: the digest *waits*; when the quiet
  hours end it gets everything since its last digest, in one message.
* Items: stored articles (the pipeline stores normal items as articles, with their topics in
  ``article_topics``) of urgency ``normal`` — breaking ones were pushed already — first sightings
  only (``story_id IS NULL``: near-duplicates and other sources' copies are left out), detected after
  the cursor. The cursor is ``last_digest_at``; for a first digest the creation of the subscriber's
  oldest "all" subscription, at most :data:`FIRST_DIGEST_LOOKBACK` (or one period) back — so news
  that arrived during a first night of quiet hours is not lost.
* Output, per forum thread with items (thread 0 = the whole chat): one :class:`~bot.db.models.Alert`
  (``kind='digest'``, urgency normal, no topics — so :func:`~bot.services.alerts.plan_deliveries`
  would never fan it out) whose body is :func:`~bot.delivery.digest_render.format_digest_body`, in
  the subscriber's language, plus **one** pending delivery row for that chat and thread (priority
  normal). It then goes through the normal outbox, sender and rate limits. ``last_digest_at`` is set
  to now only when a digest was made, so news arriving after a quiet period goes out at once.
* One short transaction per subscriber, with the subscriber row locked (``FOR UPDATE`` on
  PostgreSQL; SQLite's write lock serialises anyway) and its ``last_digest_at`` checked again inside:
  two instances never send the same digest twice. One failing subscriber never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Alert, Article, Subscriber, Subscription, article_topics
from bot.delivery import outbox
from bot.delivery.digest_render import MAX_ITEMS, DigestItem, format_digest_body, parse_digest_body
from bot.domain import AlertRequest, Urgency
from bot.i18n import t
from bot.services.alerts import create_alert
from bot.services.quiet_hours import in_quiet_hours

FIRST_DIGEST_LOOKBACK = timedelta(hours=24)
"""A first digest reaches back to the oldest "all" subscription, but no further than this (or one period)."""


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """What one subscriber's digest run produced: one alert per thread that had news."""

    subscriber_id: int
    alert_ids: tuple[int, ...]


async def due_subscribers(session: AsyncSession, now: datetime, period: timedelta) -> list[int]:
    """Subscribers whose period has passed, who have news and are not in their quiet hours.

    One query, so a tick costs one round trip however many subscribers there are; the news test
    is the same as :func:`digest_for`'s (without its look-back cap, which only narrows it).
    """
    has_news = (
        select(Article.id)
        .join(article_topics, article_topics.c.article_id == Article.id)
        .join(Subscription, Subscription.topic_id == article_topics.c.topic_id)
        .where(
            Subscription.subscriber_id == Subscriber.id,
            Subscription.level == "all",
            Article.urgency == Urgency.NORMAL.value,
            Article.story_id.is_(None),
            Article.detected_at > func.coalesce(Subscriber.last_digest_at, Subscription.created_at),
            Article.detected_at <= now,
        )
        .exists()
    )
    rows = (
        await session.execute(
            select(Subscriber.id, Subscriber.timezone, Subscriber.quiet_start, Subscriber.quiet_end)
            .where(
                Subscriber.active.is_(True),
                or_(
                    Subscriber.last_digest_at.is_(None),
                    Subscriber.last_digest_at <= now - period,
                ),
                has_news,
            )
            .order_by(Subscriber.id)
        )
    ).all()
    return [row.id for row in rows if not in_quiet_hours(now, row.timezone, row.quiet_start, row.quiet_end)]


async def digest_for(
    session: AsyncSession, subscriber_id: int, clock: Clock, period: timedelta
) -> DigestPlan:
    """Make the digest(s) of one subscriber if due, not in quiet hours and there is news (see module doc)."""
    now = clock.now()
    subscriber = await session.scalar(
        select(Subscriber).where(Subscriber.id == subscriber_id).with_for_update()
    )
    nothing = DigestPlan(subscriber_id, ())
    if subscriber is None or not subscriber.active:
        return nothing
    if subscriber.last_digest_at is not None and subscriber.last_digest_at > now - period:
        return nothing  # another instance just made it
    if in_quiet_hours(now, subscriber.timezone, subscriber.quiet_start, subscriber.quiet_end):
        return nothing
    subscriptions = (
        await session.execute(
            select(Subscription.thread_id, Subscription.topic_id, Subscription.created_at).where(
                Subscription.subscriber_id == subscriber_id, Subscription.level == "all"
            )
        )
    ).all()
    if not subscriptions:
        return nothing
    since = subscriber.last_digest_at
    if since is None:
        since = max(min(sub.created_at for sub in subscriptions), now - max(period, FIRST_DIGEST_LOOKBACK))
    threads: dict[int, set[int]] = {}
    for sub in subscriptions:
        threads.setdefault(sub.thread_id, set()).add(sub.topic_id)

    alert_ids: list[int] = []
    for thread_id, topic_ids in sorted(threads.items()):
        items, total = await _news(session, topic_ids, since, now)
        if not items:
            continue
        lang = subscriber.language
        planned = await create_alert(
            session,
            AlertRequest(
                headline=t("digest.title", lang, count=total),
                urgency=Urgency.NORMAL,
                topics=(),
                body=format_digest_body(items, more=total - len(items)),
                detected_at=now,
            ),
            clock,
        )
        alert = await session.get(Alert, planned.alert_id)
        assert alert is not None
        alert.kind = "digest"
        alert.planned_at = now
        await outbox.insert_one(
            session,
            alert_id=alert.id,
            chat_id=subscriber.chat_id,
            thread_id=thread_id,
            subscriber_id=subscriber.id,
            channel_id=None,
            urgency=Urgency.NORMAL,
            now=now,
        )
        alert_ids.append(alert.id)
    if alert_ids:
        subscriber.last_digest_at = now
    return DigestPlan(subscriber_id, tuple(alert_ids))


async def _news(
    session: AsyncSession, topic_ids: set[int], since: datetime, until: datetime
) -> tuple[list[DigestItem], int]:
    """Up to :data:`MAX_ITEMS` normal first-sighting articles of the topics in (since, until], oldest
    first, and how many there are in all."""
    matching = and_(
        Article.urgency == Urgency.NORMAL.value,
        Article.story_id.is_(None),
        Article.detected_at > since,
        Article.detected_at <= until,
        Article.id.in_(select(article_topics.c.article_id).where(article_topics.c.topic_id.in_(topic_ids))),
    )
    total = int(await session.scalar(select(func.count(Article.id)).where(matching)) or 0)
    if not total:
        return [], 0
    rows = (
        await session.execute(
            select(Article.headline, Article.url)
            .where(matching)
            .order_by(Article.detected_at.desc(), Article.id.desc())
            .limit(MAX_ITEMS)
        )
    ).all()
    # newest MAX_ITEMS, shown oldest first so the digest reads like a timeline
    return [DigestItem(headline, url) for headline, url in reversed(rows)], total


async def digest_item_url(session: AsyncSession, alert_id: int, index: int) -> str | None:
    """The link of item ``index`` of digest ``alert_id`` (its "full article" button); None if none."""
    alert = await session.get(Alert, alert_id)
    if alert is None or alert.kind != "digest":
        return None
    items, _more = parse_digest_body(alert.body)
    return items[index].url if 0 <= index < len(items) else None


__all__ = ["FIRST_DIGEST_LOOKBACK", "DigestPlan", "digest_for", "digest_item_url", "due_subscribers"]
