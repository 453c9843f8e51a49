"""Dedup and urgency at pipeline level, through the real Poller over real local HTTP, on both engines.

* the same story on the RSS feed and on the ticker (another source) is stored, linked as a
  near-duplicate and pushed once;
* a ticker rewording is recorded as an update (``story_id`` set, the story's ``revision`` bumped),
  never pushed; an item seen again (same guid, same canonical URL with tracking parameters, same
  normalised title) is not new — when it now carries the urgent marker it is an escalation
  (tests/pipeline/test_followups.py has the rest of that rule);
* HTML ticker and JSON sources run end to end: urgency from the CSS class, from the marker (removed),
  from JSON flags;
* many items arriving between two polls are all stored and alerted oldest first, each alert carrying
  its published and detected times.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock, SystemClock
from bot.db.models import Alert, Article, Delivery
from bot.demo.content import SampleStory
from bot.demo.newsroom import SampleNewsroom
from bot.domain import ChatKind, Urgency
from bot.news import meaning
from bot.services.newsroom import import_newsroom
from bot.services.subscriptions import find_topic, register_chat, set_subscription
from bot.sources.spec import parse_newsroom
from tests.pipeline.helpers import count, import_sources, make_poller, source_toml
from tests.pipeline.site import LocalSite, rss, ticker

Factory = async_sessionmaker[AsyncSession]
DATA = Path(__file__).resolve().parents[1] / "data" / "sources"
CLOCK = SystemClock()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def site() -> AsyncIterator[LocalSite]:
    async with LocalSite() as s:
        yield s


def story(title: str, category: str = "سياسة") -> SampleStory:
    return SampleStory(title, category, "lead", ("p",))


async def _sample_setup(session_factory: Factory, newsroom: SampleNewsroom) -> dict[str, int]:
    """The sample newsroom's feed and ticker, and three subscribers (economy, politics, world)."""
    async with session_factory() as session, session.begin():
        await import_newsroom(session, parse_newsroom(newsroom.sources_toml(ticker=True)), CLOCK)
        for chat_id, slug in ((1001, "economy"), (1002, "politics"), (1003, "world")):
            await register_chat(session, chat_id=chat_id, kind=ChatKind.PRIVATE, language="ar", clock=CLOCK)
            topic = await find_topic(session, slug=slug)
            await set_subscription(session, chat_id=chat_id, topic_id=topic.id, subscribed=True, clock=CLOCK)
    from bot.db.models import Source

    async with session_factory() as session:
        return {n: i for n, i in (await session.execute(select(Source.name, Source.id))).all()}


async def _articles(session_factory: Factory) -> list[Article]:
    async with session_factory() as session:
        return list((await session.scalars(select(Article).order_by(Article.id))).all())


@pytest.mark.parametrize("first", ["sample-feed", "sample-ticker"])
async def test_the_same_story_on_feed_and_ticker_is_linked_and_pushed_once(
    first: str, session_factory: Factory, http: aiohttp.ClientSession
) -> None:
    async with SampleNewsroom(initial=3) as newsroom:
        ids = await _sample_setup(session_factory, newsroom)
        second = "sample-ticker" if first == "sample-feed" else "sample-feed"
        poller = make_poller(session_factory, http, CLOCK)
        assert (await poller.poll(ids[first])).status == "baseline"
        baseline = await poller.poll(ids[second])
        assert (baseline.status, baseline.new, baseline.alert_ids) == ("baseline", 3, ())

        newsroom.publish(story("عاجل | البرلمان يحجب الثقة عن الحكومة"))
        one = await poller.poll(ids[first])
        other = await poller.poll(ids[second])
        assert (one.new, len(one.alert_ids)) == (1, 1)
        assert (other.new, other.duplicates, other.alert_ids) == (0, 1, ())

    articles = [a for a in await _articles(session_factory) if "يحجب الثقة" in a.headline]
    assert len(articles) == 2
    root, dup = articles
    assert root.source_id == ids[first] and root.story_id is None
    assert dup.source_id == ids[second] and dup.story_id == root.id
    assert {a.headline for a in articles} == {"البرلمان يحجب الثقة عن الحكومة"}  # marker removed on both
    assert {a.urgency for a in articles} == {Urgency.URGENT}
    assert await count(session_factory, Alert) == 1
    async with session_factory() as session:
        chats = list(await session.scalars(select(Delivery.chat_id)))
    assert chats == [1002]  # pushed once, to the politics subscriber


async def test_a_ticker_rewording_is_recorded_as_an_update_and_not_pushed(
    session_factory: Factory, http: aiohttp.ClientSession
) -> None:
    async with SampleNewsroom(initial=1) as newsroom:  # "عاجل | ترمب يفرض 30% جمارك على واردات أوروبا"
        ids = await _sample_setup(session_factory, newsroom)
        poller = make_poller(session_factory, http, CLOCK)
        await poller.poll(ids["sample-ticker"])
        newsroom.publish(story("عاجل | ترامب يفرض رسوما جمركية بنسبة 30% على واردات أوروبا", "اقتصاد"))
        outcome = await poller.poll(ids["sample-ticker"])
        assert (outcome.new, outcome.updates, outcome.alert_ids) == (0, 1, ())

    root, update = await _articles(session_factory)
    assert update.story_id == root.id and root.story_id is None
    assert root.revision == 1
    assert update.headline == "ترامب يفرض رسوما جمركية بنسبة 30% على واردات أوروبا"
    assert await count(session_factory, Alert) == 0


async def test_an_item_seen_again_by_guid_url_or_normalised_title_is_not_new(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite
) -> None:
    clock = FrozenClock()
    feed = site.page(
        "/feed.xml",
        rss(
            ("a", "البرلمان يقر الموازنة", "/n/a"),
            ("b", "ارتفاع أسعار النفط", "/n/b"),
            ("c", "افتتاح معرض الكتاب", "/n/c"),
            base=site.url,
        ),
    )
    ids = await import_sources(
        session_factory,
        clock,
        source_toml("s", f"{site.url}/feed.xml"),
        subscribers={1: "politics", 2: "economy"},
    )
    poller = make_poller(session_factory, http, clock)
    await poller.poll(ids["s"])
    clock.advance(60)
    feed.set(
        rss(
            # same guid, moved URL, same title
            ("a", "البرلمان يقر الموازنة", "/n/a-moved"),
            # new guid, same URL plus tracking parameters and a fragment, reworded and now urgent
            ("b-2", "عاجل | النفط يقفز إلى أعلى مستوى", "/n/b/?utm_source=tw&fbclid=XYZ#top"),
            # new guid and URL, same title once normalised (marker, tashkeel, tatweel, hamza)
            ("c-2", "عاجل: افتتاحُ معـرض الكتاب", "/n/c-2"),
            base=site.url,
        )
    )
    outcome = await poller.poll(ids["s"])
    assert (outcome.status, outcome.new, outcome.updates) == ("ok", 0, 0)
    assert outcome.revisions == 1  # b: the known item's headline changed

    articles = await _articles(session_factory)
    assert len(articles) == 3
    b = next(a for a in articles if a.guid == "b")
    assert (b.headline, b.revision) == ("النفط يقفز إلى أعلى مستوى", 1)
    # b and c were stored normal and are now marked urgent: escalations, not new stories
    async with session_factory() as session:
        alerts = list(await session.scalars(select(Alert).order_by(Alert.id)))
    assert [a.id for a in alerts] == list(outcome.alert_ids)
    assert {(a.kind, a.article_id, a.headline) for a in alerts} == {
        ("escalation", b.id, "النفط يقفز إلى أعلى مستوى"),
        ("escalation", next(a.id for a in articles if a.guid == "c"), "افتتاحُ معـرض الكتاب"),
    }
    assert (await poller.poll(ids["s"])).alert_ids == ()  # seen again: never twice


async def test_the_same_ticker_line_reworded_in_place_bumps_its_revision(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite
) -> None:
    clock = FrozenClock()
    page = site.page(
        "/", ticker(("عاجل | انفجار في ميناء المدينة", "/n/1", True)), content_type="text/html; charset=utf-8"
    )
    ids = await import_sources(
        session_factory,
        clock,
        source_toml(
            "t", f"{site.url}/", kind="html", html={"item": "div.ticker li", "urgent_class": "urgent"}
        ),
    )
    poller = make_poller(session_factory, http, clock)
    await poller.poll(ids["t"])
    page.set(ticker(("عاجل | انفجار ضخم في ميناء المدينة وسقوط جرحى", "/n/1", True)))
    outcome = await poller.poll(ids["t"])
    assert (outcome.new, outcome.revisions, outcome.alert_ids) == (0, 1, ())
    (article,) = await _articles(session_factory)
    assert (article.headline, article.revision) == ("انفجار ضخم في ميناء المدينة وسقوط جرحى", 1)


async def test_html_ticker_urgency_comes_from_the_css_class_or_the_marker(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite
) -> None:
    clock = FrozenClock()
    page = site.page(
        "/", ticker(("خبر قديم عن الطقس", "/n/0", False)), content_type="text/html; charset=utf-8"
    )
    ids = await import_sources(
        session_factory,
        clock,
        source_toml(
            "t",
            f"{site.url}/",
            kind="html",
            html={"item": "div.ticker li", "title": "a", "link": "a", "urgent_class": "urgent"},
        ),
        subscribers={7: "politics", 8: "economy", 9: "world"},
    )
    poller = make_poller(session_factory, http, clock)
    assert (await poller.poll(ids["t"])).status == "baseline"
    clock.advance(30)
    page.set(
        ticker(
            ("عاجل | الحكومة تستقيل", "/n/3", False),  # marker only
            ("زلزال بقوة 6 درجات يضرب الساحل", "/n/2", True),  # CSS class only
            ("افتتاح سوق جديد للاقتصاد المحلي", "/n/1", False),  # neither
            ("خبر قديم عن الطقس", "/n/0", False),
        )
    )
    outcome = await poller.poll(ids["t"])
    assert (outcome.new, len(outcome.alert_ids)) == (3, 2)
    stored = {a.url: a for a in await _articles(session_factory)}
    assert (stored[f"{site.url}/n/3"].headline, stored[f"{site.url}/n/3"].urgency) == (
        "الحكومة تستقيل",
        Urgency.URGENT,
    )
    assert stored[f"{site.url}/n/2"].urgency is Urgency.URGENT
    assert stored[f"{site.url}/n/1"].urgency is Urgency.NORMAL
    async with session_factory() as session:
        alerts = (await session.scalars(select(Alert).order_by(Alert.id))).all()
        chats = sorted((await session.execute(select(Delivery.alert_id, Delivery.chat_id))).all())
    # oldest first: /n/2 was listed below /n/3 on the ticker
    assert [a.headline for a in alerts] == ["زلزال بقوة 6 درجات يضرب الساحل", "الحكومة تستقيل"]
    assert chats == [(alerts[0].id, 9), (alerts[1].id, 7)]
    assert all(a.detected_at == clock.now() for a in alerts)


async def test_a_json_source_runs_end_to_end_with_urgency_from_flags_and_markers(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite
) -> None:
    clock = FrozenClock()
    document = json.loads((DATA / "api_ar.json").read_text(encoding="utf-8"))
    page = site.page("/v1/latest", json.dumps(document), content_type="application/json")
    ids = await import_sources(
        session_factory,
        clock,
        source_toml(
            "api",
            f"{site.url}/v1/latest",
            kind="json",
            json={
                "items": "data.items",
                "title": "headline",
                "link": "url",
                "guid": "id",
                "time": "published",
                "urgent": ["meta.breaking", "priority"],
            },
        ),
        subscribers={5: "politics", 6: "world"},
    )
    poller = make_poller(session_factory, http, clock)
    assert ((await poller.poll(ids["api"])).new, await count(session_factory, Alert)) == (4, 0)  # baseline
    document["data"]["items"][:0] = [
        {"id": 603, "headline": "افتتاح متحف جديد للفنون", "url": "/news/603"},
        {
            "id": 602,
            "headline": "الحكومة تعلن خطة جديدة للنقل",
            "url": "/news/602",
            "meta": {"breaking": True},
        },
        {
            "id": 601,
            "headline": "عاجل جداً | زلزال جديد يضرب شمال تركيا",
            "url": "/news/601",
            "priority": "flash",
        },
    ]
    page.set(json.dumps(document))
    clock.advance(10)
    outcome = await poller.poll(ids["api"])
    assert (outcome.new, len(outcome.alert_ids)) == (3, 2)
    async with session_factory() as session:
        alerts = (await session.scalars(select(Alert).order_by(Alert.id))).all()
    assert [(a.headline, a.urgency) for a in alerts] == [
        ("زلزال جديد يضرب شمال تركيا", "flash"),
        ("الحكومة تعلن خطة جديدة للنقل", "urgent"),
    ]


HEADLINES = [
    "عاجل | الحكومة تعلن حالة الطوارئ في العاصمة",
    "عاجل | البنك المركزي يخفض سعر الفائدة",
    "افتتاح مكتبة عامة في الحي القديم",
    "عاجل | زلزال يضرب الساحل الشمالي",
    "عاجل | البرلمان يصوت على قانون الانتخابات",
    "مهرجان للزهور يجذب آلاف الزوار",
    "عاجل | انقطاع الكهرباء عن ثلاث محافظات",
    "عاجل | وزير الخارجية يصل إلى جنيف",
    "عاجل | إغلاق المطار بسبب العاصفة",
    "عاجل | ارتفاع قياسي في أسعار الذهب",
    "عاجل | المحكمة العليا تلغي قرار الترحيل",
    "عاجل | فيضانات تغمر قرى في الجنوب",
]


async def test_many_items_between_two_polls_are_all_found_and_alerted_oldest_first(
    session_factory: Factory, http: aiohttp.ClientSession
) -> None:
    async with SampleNewsroom(initial=1) as newsroom:
        ids = await _sample_setup(session_factory, newsroom)
        poller = make_poller(session_factory, http, CLOCK)
        await poller.poll(ids["sample-feed"])
        published = [newsroom.publish(story(h)) for h in HEADLINES]
        outcome = await poller.poll(ids["sample-feed"])
    assert outcome.new == len(HEADLINES)
    assert len(outcome.alert_ids) == sum(h.startswith("عاجل") for h in HEADLINES)
    async with session_factory() as session:
        alerts = (await session.scalars(select(Alert).order_by(Alert.id))).all()
    expected = [p for p in published if p.story.title.startswith("عاجل")]
    assert [a.headline for a in alerts] == [p.story.title.removeprefix("عاجل | ") for p in expected]
    assert [a.published_at for a in alerts] == [p.at for p in expected]
    assert len({a.detected_at for a in alerts}) == 1  # one poll detected them all


async def test_a_poller_sees_stories_another_poller_stored_after_its_cache_was_built(
    session_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Two processes (two pollers, each with its own recent-story cache): the ticker's poller learns of
    the feed poller's new story through the incremental refresh and links instead of pushing again."""
    async with SampleNewsroom(initial=2) as newsroom:
        ids = await _sample_setup(session_factory, newsroom)
        feed_poller = make_poller(session_factory, http, CLOCK)
        ticker_poller = make_poller(session_factory, http, CLOCK)
        await feed_poller.poll(ids["sample-feed"])
        await ticker_poller.poll(ids["sample-ticker"])  # builds the ticker poller's cache
        newsroom.publish(story("عاجل | البرلمان يحجب الثقة عن الحكومة"))
        assert len((await feed_poller.poll(ids["sample-feed"])).alert_ids) == 1
        outcome = await ticker_poller.poll(ids["sample-ticker"])
        assert (outcome.new, outcome.duplicates, outcome.alert_ids) == (0, 1, ())
    assert await count(session_factory, Alert) == 1


async def test_the_meaning_model_runs_in_a_worker_thread_never_on_the_event_loop(
    session_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """The model costs ~24 ms a headline: on the event loop it would stall the sender and commands."""
    on_loop: list[bool] = []

    def load() -> meaning.Embed:
        real = meaning.load_e5()

        def embed(text: str) -> meaning.Vector:
            try:
                asyncio.get_running_loop()
                on_loop.append(True)
            except RuntimeError:
                on_loop.append(False)
            return real(text)

        return embed

    stage = meaning.Meaning(load)
    if not stage.available():
        pytest.skip(f"the meaning model does not run here: {stage.failure}")
    previous = meaning.install(stage)
    try:
        async with SampleNewsroom(initial=1) as newsroom:
            ids = await _sample_setup(session_factory, newsroom)
            poller = make_poller(session_factory, http, CLOCK)
            await poller.poll(ids["sample-ticker"])
            newsroom.publish(story("عاجل | ترامب يفرض رسوما جمركية بنسبة 30% على واردات أوروبا", "اقتصاد"))
            outcome = await poller.poll(ids["sample-ticker"])
    finally:
        meaning.install(previous)
    assert (outcome.new, outcome.updates) == (0, 1)  # the same decision as without the warm-up pass
    assert on_loop and not any(on_loop), on_loop
