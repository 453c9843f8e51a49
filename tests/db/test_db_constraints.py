"""The database, not the code, is the final judge of duplicates and of what a delete takes along."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Alert,
    Article,
    Channel,
    Delivery,
    Source,
    Subscriber,
    Subscription,
    Topic,
)
from bot.domain import ChatKind, DeliveryStatus, SourceKind, Urgency

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


async def _source(session: AsyncSession, name: str = "wire") -> Source:
    source = Source(name=name, kind=SourceKind.RSS, url=f"https://{name}.example/rss", config={})
    session.add(source)
    await session.flush()
    return source


def _article(source: Source, **keys: str | None) -> Article:
    return Article(
        source_id=source.id, headline="عاجل | خبر", urgency=Urgency.URGENT, detected_at=NOW, **keys
    )


async def _count(session: AsyncSession, model: type[object]) -> int:
    return (await session.execute(select(func.count()).select_from(model))).scalar_one()


@pytest.mark.parametrize(
    "key",
    [
        {"guid": "g-1"},
        {"canonical_url": "https://wire.example/a/1"},
        {"title_key": "a" * 64},
    ],
    ids=["guid", "canonical_url", "title_key"],
)
async def test_second_article_with_the_same_dedup_key_in_one_source_is_rejected(
    session: AsyncSession, key: dict[str, str]
) -> None:
    source = await _source(session)
    session.add(_article(source, **key))
    await session.commit()

    session.add(_article(source, **key))
    with pytest.raises(IntegrityError):
        await session.commit()
    await session.rollback()
    assert await _count(session, Article) == 1


async def test_same_guid_in_two_sources_is_two_articles(session: AsyncSession) -> None:
    first, second = await _source(session, "one"), await _source(session, "two")
    session.add_all([_article(first, guid="g-1"), _article(second, guid="g-1")])
    await session.commit()
    assert await _count(session, Article) == 2


async def test_unknown_keys_may_repeat_because_nulls_never_collide(session: AsyncSession) -> None:
    source = await _source(session)
    session.add_all([_article(source), _article(source), _article(source, guid="x")])
    await session.commit()
    assert await _count(session, Article) == 3


async def test_a_failed_insert_inside_a_savepoint_keeps_the_rest_of_the_transaction(
    session: AsyncSession,
) -> None:
    """Ingestion inserts candidates one by one and lets the unique keys reject the duplicates."""
    source = await _source(session)
    session.add(_article(source, guid="g-1"))
    await session.flush()
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            session.add(_article(source, guid="g-1"))
    session.add(_article(source, guid="g-2"))
    await session.commit()
    guids = (await session.scalars(select(Article.guid).order_by(Article.guid))).all()
    assert guids == ["g-1", "g-2"]


async def test_one_alert_is_delivered_once_per_chat_and_thread(session: AsyncSession) -> None:
    alert = Alert(headline="عاجل", urgency=Urgency.FLASH, detected_at=NOW)
    session.add(alert)
    await session.flush()
    chat = -1001234567890
    session.add_all(
        [
            Delivery(alert_id=alert.id, chat_id=chat, thread_id=0, priority=2, next_attempt_at=NOW),
            Delivery(alert_id=alert.id, chat_id=chat, thread_id=7, priority=2, next_attempt_at=NOW),
        ]
    )
    await session.commit()

    session.add(Delivery(alert_id=alert.id, chat_id=chat, thread_id=7, priority=2, next_attempt_at=NOW))
    with pytest.raises(IntegrityError):
        await session.commit()
    await session.rollback()
    assert await _count(session, Delivery) == 2


async def test_subscribing_twice_to_the_same_topic_and_thread_is_rejected(session: AsyncSession) -> None:
    subscriber = Subscriber(chat_id=42, kind=ChatKind.PRIVATE)
    topic = Topic(slug="politics", name_ar="سياسة", name_en="Politics")
    session.add_all([subscriber, topic])
    await session.flush()
    session.add(Subscription(subscriber_id=subscriber.id, topic_id=topic.id))
    await session.commit()

    session.add(Subscription(subscriber_id=subscriber.id, topic_id=topic.id, level="all"))
    with pytest.raises(IntegrityError):
        await session.commit()


async def test_deleting_a_subscriber_removes_its_subscriptions_and_keeps_delivery_history(
    session: AsyncSession,
) -> None:
    topic = Topic(slug="economy", name_ar="اقتصاد", name_en="Economy")
    subscriber = Subscriber(chat_id=7, kind=ChatKind.PRIVATE)
    alert = Alert(headline="عاجل", urgency=Urgency.URGENT, detected_at=NOW)
    session.add_all([topic, subscriber, alert])
    await session.flush()
    session.add_all(
        [
            Subscription(subscriber_id=subscriber.id, topic_id=topic.id),
            Subscription(subscriber_id=subscriber.id, topic_id=topic.id, thread_id=3),
            Delivery(
                alert_id=alert.id,
                chat_id=7,
                subscriber_id=subscriber.id,
                priority=1,
                status=DeliveryStatus.SENT,
                next_attempt_at=NOW,
            ),
        ]
    )
    await session.commit()

    await session.delete(subscriber)  # ORM delete: must not try to lazy-load the subscriptions
    await session.commit()

    assert await _count(session, Subscription) == 0
    delivery = (await session.scalars(select(Delivery))).one()
    await session.refresh(delivery)
    assert delivery.subscriber_id is None
    assert delivery.status is DeliveryStatus.SENT


async def test_bulk_delete_of_subscribers_cascades_in_the_database(session: AsyncSession) -> None:
    topic = Topic(slug="sport", name_ar="رياضة", name_en="Sport")
    subscribers = [Subscriber(chat_id=chat_id, kind=ChatKind.PRIVATE) for chat_id in (1, 2)]
    session.add_all([topic, *subscribers])
    await session.flush()
    session.add_all(Subscription(subscriber_id=s.id, topic_id=topic.id) for s in subscribers)
    await session.commit()

    await session.execute(delete(Subscriber).where(Subscriber.chat_id == 1))
    await session.commit()

    remaining = (await session.scalars(select(Subscription.subscriber_id))).all()
    assert remaining == [subscribers[1].id]


async def test_foreign_keys_are_enforced(session: AsyncSession) -> None:
    session.add(Article(source_id=999_999, headline="orphan", detected_at=NOW))
    with pytest.raises(IntegrityError):
        await session.commit()


async def test_deleting_a_topic_unlinks_it_from_channels(session: AsyncSession) -> None:
    keep = Topic(slug="world", name_ar="العالم", name_en="World")
    drop = Topic(slug="tech", name_ar="تقنية", name_en="Tech")
    channel = Channel(chat_id=-100500, title="عاجل", topics=[keep, drop])
    session.add(channel)
    await session.commit()

    await session.execute(delete(Topic).where(Topic.slug == "tech"))
    await session.commit()
    session.expunge_all()

    reloaded = (await session.scalars(select(Channel))).one()
    assert [t.slug for t in reloaded.topics] == ["world"]
