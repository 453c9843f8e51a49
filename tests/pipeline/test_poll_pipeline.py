"""One poll of a real HTTP source, through parse → classify → dedup → store → alert planning.

The source is the sample newsroom served over real HTTP on 127.0.0.1; the database is SQLite or
PostgreSQL (both run).
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from bot.config import PollingSettings
from bot.db.models import Alert, Article, Delivery, Source
from bot.demo.content import SampleStory
from bot.demo.newsroom import SampleNewsroom
from bot.domain import ChatKind
from bot.pipeline import Poller
from bot.services.newsroom import import_newsroom
from bot.services.subscriptions import find_topic, register_chat, set_subscription
from bot.sources.fetch import Fetcher
from bot.sources.spec import parse_newsroom

CLOCK = SystemClock()


async def _setup(session_factory: async_sessionmaker[AsyncSession], newsroom: SampleNewsroom) -> int:
    async with session_factory() as session, session.begin():
        await import_newsroom(session, parse_newsroom(newsroom.sources_toml()), CLOCK)
        for chat_id, slug in ((1001, "economy"), (1002, "politics"), (1003, "sports")):
            await register_chat(session, chat_id=chat_id, kind=ChatKind.PRIVATE, language="ar", clock=CLOCK)
            topic = await find_topic(session, slug=slug)
            await set_subscription(session, chat_id=chat_id, topic_id=topic.id, subscribed=True, clock=CLOCK)
        source_id = await session.scalar(select(Source.id))
    assert source_id is not None
    return source_id


async def _count(session_factory: async_sessionmaker[AsyncSession], model: type) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def http() -> aiohttp.ClientSession:
    async with aiohttp.ClientSession() as session:
        yield session


def _poller(session_factory: async_sessionmaker[AsyncSession], http: aiohttp.ClientSession) -> Poller:
    settings = PollingSettings()
    return Poller(
        sessionmaker=session_factory, fetcher=Fetcher(http, settings, CLOCK), clock=CLOCK, settings=settings
    )


async def test_first_poll_is_a_baseline_then_only_new_urgent_items_are_planned(
    session_factory: async_sessionmaker[AsyncSession], http: aiohttp.ClientSession
) -> None:
    async with SampleNewsroom(initial=3) as newsroom:
        source_id = await _setup(session_factory, newsroom)
        poller = _poller(session_factory, http)

        baseline = await poller.poll(source_id)
        assert (baseline.status, baseline.new, baseline.alert_ids) == ("baseline", 3, ())
        assert await _count(session_factory, Alert) == 0

        again = await poller.poll(source_id)
        assert again.status == "not_modified"  # ETag honoured

        newsroom.publish(
            SampleStory("عاجل | البنك المركزي يرفع سعر الفائدة نصف نقطة", "اقتصاد", "lead", ("p",))
        )
        newsroom.publish(SampleStory("ملعب جديد في العاصمة", "رياضة", "lead", ("p",)))
        newsroom.publish(SampleStory("خبر عاجل: البرلمان يحجب الثقة عن الحكومة", "سياسة", "lead", ("p",)))
        outcome = await poller.poll(source_id)
        assert outcome.status == "ok"
        assert outcome.new == 3
        assert len(outcome.alert_ids) == 2  # the sports item is not urgent

    async with session_factory() as session:
        alerts = (await session.scalars(select(Alert).order_by(Alert.id))).all()
        # stored in publication order, marker stripped
        assert [a.headline for a in alerts] == [
            "البنك المركزي يرفع سعر الفائدة نصف نقطة",
            "البرلمان يحجب الثقة عن الحكومة",
        ]
        deliveries = (await session.execute(select(Delivery.alert_id, Delivery.chat_id))).all()
        assert sorted(deliveries) == sorted([(alerts[0].id, 1001), (alerts[1].id, 1002)])
        article = await session.scalar(select(Article).where(Article.headline == alerts[0].headline))
        assert article is not None and article.detected_at.tzinfo is not None


async def test_two_pollers_racing_on_one_source_never_store_an_item_twice(
    session_factory: async_sessionmaker[AsyncSession], http: aiohttp.ClientSession
) -> None:
    async with SampleNewsroom(initial=2) as newsroom:
        source_id = await _setup(session_factory, newsroom)
        await _poller(session_factory, http).poll(source_id)
        for _ in range(5):
            newsroom.publish()
        # two independent pollers (as two processes would be), same moment
        first, second = _poller(session_factory, http), _poller(session_factory, http)
        outcomes = await asyncio.gather(first.poll(source_id), second.poll(source_id))
        assert sum(o.new for o in outcomes) == 5
    assert await _count(session_factory, Article) == 7
    async with session_factory() as session:
        planned = (await session.execute(select(Delivery.alert_id, Delivery.chat_id))).all()
    assert len(planned) == len(set(planned))


async def test_a_failing_source_records_the_error_and_backs_off(
    session_factory: async_sessionmaker[AsyncSession], http: aiohttp.ClientSession
) -> None:
    async with SampleNewsroom(initial=1) as newsroom:
        source_id = await _setup(session_factory, newsroom)
    # the newsroom is gone: connection refused
    outcome = await _poller(session_factory, http).poll(source_id)
    assert outcome.status == "error"
    async with session_factory() as session:
        source = await session.get(Source, source_id)
        assert source is not None
        assert source.failure_count == 1 and source.last_error and source.next_poll_at is not None
    skipped = await _poller(session_factory, http).poll(source_id)
    assert (skipped.status, skipped.error) == ("skipped", "backing off")


async def test_a_small_poll_stores_and_marks_success_in_one_transaction(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], http: aiohttp.ClientSession
) -> None:
    """Issue 13: a steady poll is one read (the source's state, before the fetch) and one write
    transaction — the items, their alerts and the source's success commit together — and a 304 is
    one read and one UPDATE; only big polls are split into bounded batches (issue 9)."""
    async with SampleNewsroom(initial=3) as newsroom:
        source_id = await _setup(session_factory, newsroom)
        poller = _poller(session_factory, http)
        commits: list[str] = []
        event.listen(engine.sync_engine, "commit", lambda _conn: commits.append("commit"))
        began: list[str] = []
        event.listen(engine.sync_engine, "begin", lambda _conn: began.append("begin"))

        assert (await poller.poll(source_id)).status == "baseline"
        assert (len(began), len(commits)) == (2, 1)

        began.clear()
        commits.clear()
        assert (await poller.poll(source_id)).status == "not_modified"
        assert (len(began), len(commits)) == (2, 1)

        newsroom.publish(
            SampleStory("عاجل | البنك المركزي يرفع سعر الفائدة نصف نقطة", "اقتصاد", "lead", ("p",))
        )
        began.clear()
        commits.clear()
        outcome = await poller.poll(source_id)
        assert (outcome.status, outcome.new, len(outcome.alert_ids)) == ("ok", 1, 1)
        assert (len(began), len(commits)) == (2, 1)
    async with session_factory() as session:
        source = await session.get(Source, source_id)
        assert source is not None and source.baseline_done and source.failure_count == 0
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 1
