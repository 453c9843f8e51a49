"""Follow-ups of a known story at pipeline level (bot/services/escalation.py), through the real Poller
over real local HTTP, on both engines; what reaches Telegram is in tests/e2e/test_escalation.py.

* the pure decider, table-driven;
* escalation audience: an all-news reader who has not had the digest yet is pushed the escalation and
  the digest then leaves the story out; a chat that already had a push of the story is skipped;
  another source's urgent copy escalates a normal story once; a story older than the window is not
  escalated;
* updates: a same-source ticker line with a new place is an update whose copies reply to the earlier
  push in each chat; another source's copy with new facts is not pushed; a retracted push gets none;
  later updates are measured against the latest pushed wording and still reply to the first push.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.db.models import Alert, Article, Delivery, Subscriber
from bot.domain import AlertRequest, AlertState, Urgency
from bot.services.alerts import create_alert, plan_deliveries
from bot.services.digest import digest_for
from bot.services.escalation import Action, PushedStory, StoryFacts, decide_followup
from bot.services.subscriptions import find_topic, set_level
from tests.pipeline.helpers import import_sources, make_poller, source_toml
from tests.pipeline.site import LocalSite, rss, ticker

Factory = async_sessionmaker[AsyncSession]
HOUR = timedelta(hours=1)


def _facts(**kw: object) -> StoryFacts:
    base: dict[str, object] = {
        "item_urgency": Urgency.URGENT,
        "item_source": "wire",
        "item_headline": "مقتل 25 شخصا في انفجار",
        "reworded": False,
        "root_urgency": Urgency.NORMAL,
        "root_age": timedelta(minutes=5),
        "window": 24 * HOUR,
        "pushed": None,
    }
    return StoryFacts(**{**base, **kw})  # type: ignore[arg-type]


PUSHED = PushedStory(1, "wire", Urgency.URGENT, False, "مقتل 10 أشخاص في انفجار")

DECISIONS = [
    (_facts(), Action.ESCALATE),
    (_facts(item_urgency=Urgency.FLASH), Action.ESCALATE),
    (_facts(root_age=25 * HOUR), Action.NONE),  # old news marked urgent: not pushed
    (_facts(item_urgency=Urgency.NORMAL, reworded=True), Action.NONE),  # a normal story reworded
    (_facts(root_urgency=Urgency.URGENT, pushed=PUSHED), Action.NONE),  # seen again
    (_facts(root_urgency=Urgency.URGENT, pushed=PUSHED, reworded=True), Action.UPDATE),
    (
        _facts(root_urgency=Urgency.URGENT, pushed=PUSHED, reworded=True, item_urgency=Urgency.NORMAL),
        Action.UPDATE,  # the marker dropped on the update: still an update of a pushed story
    ),
    (
        _facts(
            root_urgency=Urgency.URGENT, pushed=PUSHED, reworded=True, item_headline="انفجار يقتل 10 أشخاص"
        ),
        Action.NONE,  # a rewording
    ),
    (_facts(root_urgency=Urgency.URGENT, pushed=PUSHED, reworded=True, item_source="other"), Action.NONE),
    (
        _facts(
            root_urgency=Urgency.URGENT,
            pushed=PushedStory(1, "wire", Urgency.URGENT, True, "مقتل 10 أشخاص في انفجار"),
            reworded=True,
        ),
        Action.NONE,  # retracted
    ),
    (_facts(root_urgency=Urgency.URGENT, reworded=True), Action.NONE),  # baseline story, never pushed
]


@pytest.mark.parametrize(("facts", "action"), DECISIONS)
def test_decide_followup(facts: StoryFacts, action: Action) -> None:
    assert decide_followup(facts).action is action


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def site() -> AsyncIterator[LocalSite]:
    async with LocalSite() as s:
        yield s


async def _deliveries(session_factory: Factory, alert_id: int) -> list[Delivery]:
    async with session_factory() as session:
        return list(await session.scalars(select(Delivery).where(Delivery.alert_id == alert_id)))


async def _alerts(session_factory: Factory) -> list[Alert]:
    async with session_factory() as session:
        return list(await session.scalars(select(Alert).order_by(Alert.id)))


async def _level_all(session_factory: Factory, chat_id: int, slug: str) -> None:
    async with session_factory() as session, session.begin():
        topic = await find_topic(session, slug=slug)
        await set_level(session, chat_id=chat_id, topic_id=topic.id, level="all")


QUAKE = "زلزال بقوة 5 درجات يضرب شمال البلاد"


async def test_an_all_news_reader_without_the_digest_gets_the_escalation_and_the_digest_leaves_it_out(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite
) -> None:
    clock = FrozenClock()
    feed = site.page("/feed.xml", rss(("old", "افتتاح معرض الكتاب", "/n/old"), base=site.url))
    ids = await import_sources(
        session_factory, clock, source_toml("s", f"{site.url}/feed.xml"), subscribers={1: "world", 2: "world"}
    )
    await _level_all(session_factory, 2, "world")
    poller = make_poller(session_factory, http, clock)
    await poller.poll(ids["s"])
    clock.advance(60)
    feed.set(rss(("q", QUAKE, "/n/q"), base=site.url))
    assert (await poller.poll(ids["s"])).alert_ids == ()
    clock.advance(60)
    feed.set(rss(("q", "عاجل | " + QUAKE, "/n/q"), base=site.url))
    [escalation] = (await poller.poll(ids["s"])).alert_ids
    assert {d.chat_id for d in await _deliveries(session_factory, escalation)} == {1, 2}
    async with session_factory() as session, session.begin():
        reader = await session.scalar(select(Subscriber.id).where(Subscriber.chat_id == 2))
        assert reader is not None
        plan = await digest_for(session, reader, clock, HOUR)
        assert plan.alert_ids == ()  # the story is breaking now: it left the digest
        assert await session.scalar(select(Article.urgency).where(Article.guid == "q")) == Urgency.URGENT


async def test_a_chat_that_had_a_push_of_the_story_is_not_pushed_its_escalation(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite
) -> None:
    clock = FrozenClock()
    feed = site.page("/feed.xml", rss(("old", "افتتاح معرض الكتاب", "/n/old"), base=site.url))
    ids = await import_sources(
        session_factory, clock, source_toml("s", f"{site.url}/feed.xml"), subscribers={1: "world", 2: "world"}
    )
    await _level_all(session_factory, 2, "world")
    poller = make_poller(session_factory, http, clock)
    await poller.poll(ids["s"])
    clock.advance(60)
    feed.set(rss(("q", QUAKE, "/n/q"), base=site.url))
    await poller.poll(ids["s"])
    async with session_factory() as session, session.begin():  # a normal push of the story (chat 2)
        article = await session.scalar(select(Article.id).where(Article.guid == "q"))
        request = AlertRequest(QUAKE, Urgency.NORMAL, ("world",), article_id=article, source_name="s")
        normal = (await create_alert(session, request, clock)).alert_id
        assert await plan_deliveries(session, normal, clock) == 1
    clock.advance(60)
    feed.set(rss(("q", "عاجل | " + QUAKE, "/n/q"), base=site.url))
    [escalation] = (await poller.poll(ids["s"])).alert_ids
    assert [d.chat_id for d in await _deliveries(session_factory, escalation)] == [1]


async def test_another_sources_urgent_copy_escalates_a_normal_story_once_and_old_stories_never(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite
) -> None:
    clock = FrozenClock()
    a = site.page("/a.xml", rss(("old", "افتتاح معرض الكتاب", "/n/old"), base=site.url))
    b = site.page("/b.xml", rss(("old", "افتتاح معرض الفنون", "/m/old"), base=site.url))
    ids = await import_sources(
        session_factory,
        clock,
        source_toml("a", f"{site.url}/a.xml"),
        source_toml("b", f"{site.url}/b.xml"),
        subscribers={1: "world"},
    )
    poller = make_poller(session_factory, http, clock)
    await poller.poll(ids["a"])
    await poller.poll(ids["b"])
    clock.advance(60)
    a.set(rss(("q", QUAKE, "/n/q"), base=site.url))
    await poller.poll(ids["a"])
    b.set(rss(("q2", "عاجل | " + QUAKE, "/m/q2"), base=site.url))
    outcome = await poller.poll(ids["b"])
    assert outcome.duplicates == 1 and len(outcome.alert_ids) == 1
    [alert] = await _alerts(session_factory)
    assert (alert.kind, alert.source_name) == ("escalation", "b")
    assert [d.chat_id for d in await _deliveries(session_factory, alert.id)] == [1]
    # the first source marks it urgent too, polls repeat: nothing more
    a.set(rss(("q", "عاجل | " + QUAKE, "/n/q"), base=site.url))
    for source in ("a", "b", "a"):
        clock.advance(30)
        assert (await poller.poll(ids[source])).alert_ids == ()
    # a story older than the dedup window that turns urgent is old news: not pushed
    old = "فيضانات تغمر قرى في الجنوب"
    a.set(rss(("f", old, "/n/f"), ("q", "عاجل | " + QUAKE, "/n/q"), base=site.url))
    await poller.poll(ids["a"])
    clock.advance(49 * 3600)
    a.set(rss(("f", "عاجل | " + old, "/n/f"), base=site.url))
    assert (await poller.poll(ids["a"])).alert_ids == ()
    assert len(await _alerts(session_factory)) == 1


async def test_a_ticker_line_with_a_new_fact_is_an_update_replying_to_the_earlier_push(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite
) -> None:
    clock = FrozenClock()
    page = site.page(
        "/", ticker(("خبر قديم عن الطقس", "/n/0", False)), content_type="text/html; charset=utf-8"
    )
    feed = site.page("/feed.xml", rss(("old", "افتتاح معرض الكتاب", "/n/old"), base=site.url))
    ids = await import_sources(
        session_factory,
        clock,
        source_toml(
            "t", f"{site.url}/", kind="html", html={"item": "div.ticker li", "urgent_class": "urgent"}
        ),
        source_toml("r", f"{site.url}/feed.xml"),
        subscribers={1: "world", 2: "world", 3: "economy"},
    )
    poller = make_poller(session_factory, http, clock)
    await poller.poll(ids["t"])
    await poller.poll(ids["r"])
    first = "زلزال مدمر يضرب ميناء بيروت"
    page.set(ticker((first, "/n/1", True)))
    [push] = (await poller.poll(ids["t"])).alert_ids
    earlier = {d.chat_id: d.id for d in await _deliveries(session_factory, push)}
    assert set(earlier) == {1, 2}

    page.set(ticker(("زلزال مدمر يضرب ميناء بيروت ويقتل 12", "/n/2", True), (first, "/n/1", True)))
    outcome = await poller.poll(ids["t"])
    assert outcome.updates == 1
    [update_id] = outcome.alert_ids
    copies = await _deliveries(session_factory, update_id)
    assert {(d.chat_id, d.reply_to_id) for d in copies} == {(1, earlier[1]), (2, earlier[2])}
    alerts = {a.id: a for a in await _alerts(session_factory)}
    assert (alerts[update_id].kind, alerts[update_id].parent_alert_id) == ("update", push)

    # another source's copy with yet another fact: a duplicate, never pushed
    feed.set(rss(("x", "عاجل | زلزال مدمر يضرب ميناء بيروت ويقتل 12 ويصيب 40", "/n/x"), base=site.url))
    outcome = await poller.poll(ids["r"])
    assert (outcome.duplicates, outcome.alert_ids) == (1, ())

    # a later update is measured against the latest pushed wording, and replies to the first push
    page.set(ticker(("زلزال مدمر يضرب ميناء بيروت ويقتل 12 ويصيب 40", "/n/3", True), (first, "/n/1", True)))
    [second] = (await poller.poll(ids["t"])).alert_ids
    assert {d.reply_to_id for d in await _deliveries(session_factory, second)} == set(earlier.values())
    page.set(
        ticker(("زلزال مدمر يضرب ميناء بيروت ويقتل 12 ويصيب 40 شخصا", "/n/4", True), (first, "/n/1", True))
    )
    assert (await poller.poll(ids["t"])).alert_ids == ()  # the same facts again


async def test_a_retracted_push_gets_no_update(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite
) -> None:
    clock = FrozenClock()
    feed = site.page("/feed.xml", rss(("old", "افتتاح معرض الكتاب", "/n/old"), base=site.url))
    ids = await import_sources(
        session_factory, clock, source_toml("s", f"{site.url}/feed.xml"), subscribers={1: "world"}
    )
    poller = make_poller(session_factory, http, clock)
    await poller.poll(ids["s"])
    feed.set(rss(("q", "عاجل | مقتل 10 أشخاص في زلزال", "/n/q"), base=site.url))
    [push] = (await poller.poll(ids["s"])).alert_ids
    async with session_factory() as session, session.begin():
        await session.execute(update(Alert).where(Alert.id == push).values(state=AlertState.RETRACTED))
    feed.set(rss(("q", "عاجل | مقتل 25 شخصا في زلزال", "/n/q"), base=site.url))
    outcome = await poller.poll(ids["s"])
    assert (outcome.revisions, outcome.alert_ids) == (1, ())
