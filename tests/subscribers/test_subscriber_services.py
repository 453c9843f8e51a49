"""The subscriber core without Telegram: topic matching, settings parsing, quiet hours, /stop's
deletion, and digest planning — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.db.models import Alert, Article, Delivery, Source, Subscriber, Subscription, Topic, article_topics
from bot.domain import AlertRequest, ChatKind, DeliveryStatus, SourceKind, Urgency
from bot.exceptions import NotFound, ValidationError
from bot.services import subscriptions as subs
from bot.services.alerts import create_alert, plan_deliveries
from bot.services.digest import digest_item_url
from bot.workers.digest import Digester

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def _seed(session: AsyncSession) -> dict[str, int]:
    topics = {
        "economy": ("اقتصاد", "Economy"),
        "sports": ("رياضة", "Sports"),
        "health": ("الصحة", "Health"),
    }
    ids: dict[str, int] = {}
    for slug, (ar, en) in topics.items():
        topic = Topic(slug=slug, name_ar=ar, name_en=en, keywords=[], created_at=T0)
        session.add(topic)
        await session.flush()
        ids[slug] = topic.id
    source = Source(
        name="s", kind=SourceKind.RSS, url="http://news.example/feed", created_at=T0, updated_at=T0
    )
    session.add(source)
    await session.flush()
    ids["source"] = source.id
    return ids


async def _article(
    session: AsyncSession,
    source_id: int,
    topic_id: int,
    headline: str,
    at: datetime,
    urgency: Urgency = Urgency.NORMAL,
    story_id: int | None = None,
) -> int:
    article = Article(
        source_id=source_id,
        headline=headline,
        url=f"http://news.example/{abs(hash(headline))}",
        urgency=urgency,
        detected_at=at,
        story_id=story_id,
        created_at=at,
        updated_at=at,
    )
    session.add(article)
    await session.flush()
    await session.execute(article_topics.insert().values(article_id=article.id, topic_id=topic_id))
    return article.id


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("economy", "economy"),
        ("ECONOMY", "economy"),
        ("Economy ", "economy"),
        ("اقتصاد", "economy"),
        ("الاقتصاد", "economy"),
        ("#economy", "economy"),
        ("صحة", "health"),
        ("الصحه", "health"),
        ("رياضة", "sports"),
        ("الرياضه", "sports"),
    ],
)
async def test_topics_are_found_by_slug_or_either_name_after_normalisation(
    session: AsyncSession, text: str, slug: str
) -> None:
    await _seed(session)
    assert (await subs.resolve_topic(session, text)).slug == slug


async def test_unknown_empty_and_oversized_topic_names_are_refused(session: AsyncSession) -> None:
    await _seed(session)
    for text in ("weather", "", "   ", "؟؟"):
        with pytest.raises(NotFound):
            await subs.resolve_topic(session, text)
    with pytest.raises(ValidationError):
        await subs.resolve_topic(session, "x" * (subs.MAX_ARGUMENT + 1))


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("23:00-07:00", (1380, 420)),
        ("23-7", (1380, 420)),
        ("٢٣:٣٠ - ٠٦:١٥", (1410, 375)),
        ("22.00 to 06.00", (1320, 360)),
        ("off", None),
        ("إيقاف", None),
    ],
)
def test_quiet_hours_are_parsed_in_any_digits(text: str, window: tuple[int, int] | None) -> None:
    assert subs.parse_quiet_hours(text) == window


@pytest.mark.parametrize("text", ["25:00-07:00", "23:61-07:00", "07:00-07:00", "soon", "23:00", "-"])
def test_malformed_quiet_hours_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        subs.parse_quiet_hours(text)


def test_quiet_hours_wrap_midnight_in_the_chats_time_zone() -> None:
    # 23:00–07:00 in Riyadh (UTC+3) is 20:00–04:00 UTC
    window = (23 * 60, 7 * 60)
    assert subs.in_quiet_hours(datetime(2026, 3, 1, 21, 0, tzinfo=UTC), "Asia/Riyadh", *window)
    assert subs.in_quiet_hours(datetime(2026, 3, 1, 3, 59, tzinfo=UTC), "Asia/Riyadh", *window)
    assert not subs.in_quiet_hours(datetime(2026, 3, 1, 4, 0, tzinfo=UTC), "Asia/Riyadh", *window)
    assert not subs.in_quiet_hours(datetime(2026, 3, 1, 19, 59, tzinfo=UTC), "Asia/Riyadh", *window)
    assert subs.in_quiet_hours(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), "UTC", 9 * 60, 17 * 60)
    assert not subs.in_quiet_hours(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), "UTC", None, None)


def test_time_zones_and_languages_are_validated() -> None:
    assert subs.parse_timezone("asia/riyadh") == "Asia/Riyadh"
    assert subs.parse_timezone("America/New York") == "America/New_York"
    assert subs.parse_language("English") == "en"
    assert subs.parse_language("العربية") == "ar"
    for bad in ("Mars/Phobos", "", "../../etc/passwd"):
        with pytest.raises(ValidationError):
            subs.parse_timezone(bad)
    with pytest.raises(ValidationError):
        subs.parse_language("fr")


async def test_stop_deletes_the_subscriber_its_subscriptions_deliveries_and_digests(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    clock = FrozenClock(T0)
    async with session_factory() as session, session.begin():
        ids = await _seed(session)
        for chat in (1001, 1002):
            await subs.register_chat(session, chat_id=chat, kind=ChatKind.PRIVATE, language="ar", clock=clock)
            await subs.set_subscription(
                session, chat_id=chat, topic_id=ids["economy"], subscribed=True, clock=clock
            )
        story = await create_alert(session, AlertRequest("عاجل", Urgency.URGENT, ("economy",)), clock)
        await plan_deliveries(session, story.alert_id, clock)
        await subs.set_level(session, chat_id=1001, topic_id=ids["economy"], level="all")
        await _article(session, ids["source"], ids["economy"], "خبر عادي", T0 + timedelta(minutes=1))
    clock.advance(3600)
    assert len(await Digester(sessionmaker=session_factory, clock=clock, minutes=60).run_once()) == 1
    async with session_factory() as session, session.begin():
        assert await subs.forget_chat(session, 1001) is True
    async with session_factory() as session:
        assert await session.scalar(select(Subscriber.id).where(Subscriber.chat_id == 1001)) is None
        assert await session.scalar(select(func.count()).select_from(Subscription)) == 1  # 1002's
        assert list(await session.scalars(select(Delivery.chat_id))) == [1002]
        assert list(await session.scalars(select(Alert.kind))) == [
            "story"
        ]  # the digest went, the story stays
    async with session_factory() as session, session.begin():
        assert await subs.forget_chat(session, 1001) is False


async def test_digest_bundles_normal_news_of_all_level_topics_since_the_last_one(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    clock = FrozenClock(T0)
    async with session_factory() as session, session.begin():
        ids = await _seed(session)
        await subs.register_chat(
            session, chat_id=-100500, kind=ChatKind.SUPERGROUP, language="en", clock=clock
        )
        for topic, thread, level in (("economy", 7, "all"), ("sports", 0, "all"), ("health", 0, "urgent")):
            await subs.set_subscription(
                session,
                chat_id=-100500,
                topic_id=ids[topic],
                subscribed=True,
                clock=clock,
                thread_id=thread,
                level=level,
            )
        first = await _article(
            session, ids["source"], ids["economy"], "economy one", T0 + timedelta(minutes=5)
        )
        await _article(
            session, ids["source"], ids["economy"], "economy copy", T0 + timedelta(minutes=6), story_id=first
        )
        await _article(
            session,
            ids["source"],
            ids["economy"],
            "economy urgent",
            T0 + timedelta(minutes=7),
            Urgency.URGENT,
        )
        await _article(
            session, ids["source"], ids["sports"], "sports <one> & more", T0 + timedelta(minutes=8)
        )
        await _article(session, ids["source"], ids["health"], "health one", T0 + timedelta(minutes=9))
        await _article(
            session, ids["source"], ids["economy"], "before subscribing", T0 - timedelta(minutes=1)
        )
    digester = Digester(sessionmaker=session_factory, clock=clock, minutes=30)
    clock.advance(10 * 60)
    created = await digester.run_once()
    assert len(created) == 2  # one per thread with news
    async with session_factory() as session:
        alerts = {a.id: a for a in await session.scalars(select(Alert).where(Alert.id.in_(created)))}
        deliveries = list(await session.scalars(select(Delivery).order_by(Delivery.thread_id)))
        last = await session.scalar(select(Subscriber.last_digest_at))
    assert [(d.chat_id, d.thread_id, d.priority, d.status) for d in deliveries] == [
        (-100500, 0, 0, DeliveryStatus.PENDING),
        (-100500, 7, 0, DeliveryStatus.PENDING),
    ]
    by_thread = {d.thread_id: alerts[d.alert_id] for d in deliveries}
    assert all(
        a.kind == "digest" and a.urgency == Urgency.NORMAL and a.planned_at is not None
        for a in alerts.values()
    )
    assert by_thread[7].body is not None and "economy one" in by_thread[7].body
    assert "economy copy" not in by_thread[7].body and "economy urgent" not in by_thread[7].body
    assert "before subscribing" not in by_thread[7].body
    assert by_thread[0].body is not None and "sports <one> & more" in by_thread[0].body
    assert "health one" not in by_thread[0].body
    assert by_thread[0].headline == "News digest: 1 new"
    assert last == T0 + timedelta(minutes=10)
    async with session_factory() as session:
        assert await digest_item_url(session, by_thread[7].id, 0) is not None
        assert await digest_item_url(session, by_thread[7].id, 5) is None
        # a digest alert has no topics: planning it by mistake reaches nobody
        assert await plan_deliveries(session, by_thread[7].id, clock) == 0
        await session.rollback()

    # within the period nothing; after it only what is new; no news → no digest and the cursor stays
    async with session_factory() as session, session.begin():
        await _article(session, ids["source"], ids["sports"], "sports two", T0 + timedelta(minutes=12))
    clock.advance(10 * 60)
    assert await digester.run_once() == []
    clock.advance(25 * 60)
    [again] = await digester.run_once()
    async with session_factory() as session:
        alert = await session.get(Alert, again)
        assert alert is not None and alert.body is not None
        assert "sports two" in alert.body and "sports <one>" not in alert.body
    clock.advance(60 * 60)
    assert await digester.run_once() == []
    async with session_factory() as session:
        assert await session.scalar(select(Subscriber.last_digest_at)) == T0 + timedelta(minutes=45)


async def test_digest_waits_out_quiet_hours(session_factory: async_sessionmaker[AsyncSession]) -> None:
    clock = FrozenClock(datetime(2026, 3, 1, 21, 0, tzinfo=UTC))  # 00:00 in Riyadh
    async with session_factory() as session, session.begin():
        ids = await _seed(session)
        await subs.register_chat(session, chat_id=1, kind=ChatKind.PRIVATE, language="ar", clock=clock)
        await subs.set_subscription(
            session, chat_id=1, topic_id=ids["economy"], subscribed=True, clock=clock, level="all"
        )
        await subs.set_timezone(session, chat_id=1, timezone="Asia/Riyadh", clock=clock)
        await subs.set_quiet_hours(session, chat_id=1, window=(23 * 60, 7 * 60), clock=clock)
        await _article(session, ids["source"], ids["economy"], "ليلي", clock.now() + timedelta(minutes=1))
    digester = Digester(sessionmaker=session_factory, clock=clock, minutes=60)
    clock.advance(2 * 3600)
    assert await digester.run_once() == []  # 02:00 local: quiet
    clock.advance(5 * 3600)  # 07:00 local: over
    [alert_id] = await digester.run_once()
    async with session_factory() as session:
        alert = await session.get(Alert, alert_id)
        assert (
            alert is not None and alert.headline == "موجز الأخبار: 1 جديدة" and "ليلي" in (alert.body or "")
        )
