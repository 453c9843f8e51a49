"""Escalations and material updates end to end: the real Aajel app (aiogram bot, poller, sender)
against the Bot API emulator over HTTP and an RSS feed on a real local HTTP server, on SQLite and
PostgreSQL. Subscribers sign up by talking to the bot; time is the injected clock, and polls are
started by the test (the schedule's interval is an hour) so each step is one known poll.

* A normal story that turns urgent reaches the urgent-only subscriber and the channel once; the
  all-news subscriber who already read it in a digest is not pushed it a second time; repeated polls
  push nothing more.
* A number change in a pushed urgent story arrives in every chat as a reply to the earlier push, under
  "🔄 تحديث" / "🔄 Update" in the reader's language; a rewording is not pushed; repeats push nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.app import Aajel
from bot.clock import SystemClock
from bot.config import load_settings
from bot.db.models import Alert, Channel, Delivery, Source, Subscriber, Topic
from bot.domain import DeliveryStatus
from bot.emulator import EmulatorServer
from bot.emulator.client import EmulatorClient, MessageView
from bot.pipeline import PollOutcome
from bot.services.digest import digest_for
from tests.e2e.conftest import wait_until
from tests.pipeline.helpers import TOPICS, source_toml
from tests.pipeline.site import LocalSite, Page, rss
from tests.subscribers.conftest import Talk

CHANNEL = -1001234567


class ShiftClock(SystemClock):
    """The injected clock: real time plus an offset the test moves forward between polls."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return super().now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Newsroom:
    app: Aajel
    tg: EmulatorClient
    feed: Page
    site: LocalSite
    clock: ShiftClock
    source_id: int = 0

    def publish(self, *items: tuple[str, str]) -> None:
        """The feed now lists ``(guid, title)`` items, newest first."""
        self.feed.set(rss(*((g, t, f"/n/{g}") for g, t in items), base=self.site.url))

    async def poll(self) -> PollOutcome:
        self.clock.advance(60)
        return await self.app.poller.poll(self.source_id)

    async def settled(self) -> None:
        """Every planned delivery has been sent (or failed): nothing left in the outbox."""

        async def done() -> bool:
            async with self.app.sessionmaker() as session:
                left = await session.scalar(
                    select(Delivery.id)
                    .where(Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]))
                    .limit(1)
                )
            return left is None

        await wait_until(done, within=15, what="outbox drained")

    async def user(self, name: str, lang: str, *commands: str) -> Talk:
        user = await self.tg.create_user(name, language_code=lang)
        talk = Talk(self.tg, user.id, user.id)
        for command in commands:
            [reply] = await talk.say(command)
            assert reply.text is not None and reply.text.startswith("✅"), reply.text
        return talk

    async def channel(self, owner: Talk, *slugs: str) -> None:
        """A channel the bot posts in, fed these topics (channels are set up by the newsroom)."""
        await self.tg.create_chat("channel", "Wire channel", chat_id=CHANNEL, creator_id=owner.user_id)
        await self.tg.add_bot(CHANNEL, admin=True, by_user_id=owner.user_id)

        async def registered() -> bool:  # the bot registers the channel from its my_chat_member update
            async with self.app.sessionmaker() as session:
                return await session.scalar(select(Channel.id).where(Channel.chat_id == CHANNEL)) is not None

        await wait_until(registered, what="the channel registered")
        async with self.app.sessionmaker() as session, session.begin():
            topics = list(await session.scalars(select(Topic).where(Topic.slug.in_(slugs))))
            channel = await session.scalar(
                select(Channel).where(Channel.chat_id == CHANNEL).options(selectinload(Channel.topics))
            )
            assert channel is not None
            channel.topics = topics


@pytest.fixture
async def newsroom(migrated_db_url: str, tmp_path: Path) -> AsyncIterator[Newsroom]:
    async with EmulatorServer() as server, LocalSite() as site:
        feed = site.page("/feed.xml", rss(("old", "افتتاح معرض الكتاب", "/n/old"), base=site.url))
        sources = tmp_path / "sources.toml"
        sources.write_text(
            TOPICS + "\n" + source_toml("wire", f"{site.url}/feed.xml", interval_seconds=3600),
            encoding="utf-8",
        )
        settings = load_settings(
            bot_token=server.token,
            telegram_api_url=server.url,
            database_url=migrated_db_url,
            sources_file=sources,
            delivery={"global_rate": 200, "per_chat_interval_seconds": 0},
            _env_file=None,
        )
        clock = ShiftClock()
        stop = asyncio.Event()
        async with Aajel(settings, clock=clock, migrate=False) as app, EmulatorClient(server.url) as tg:
            task = asyncio.create_task(app.run(stop))
            room = Newsroom(app, tg, feed, site, clock)
            try:

                async def baseline() -> bool:
                    async with app.sessionmaker() as session:
                        return bool(await session.scalar(select(Source.baseline_done)))

                await wait_until(baseline, what="the scheduled baseline poll")
                async with app.sessionmaker() as session:
                    room.source_id = int(await session.scalar(select(Source.id)) or 0)
                yield room
            finally:
                stop.set()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=45)  # the graceful stop windows add up


def _with(messages: list[MessageView], text: str) -> list[MessageView]:
    return [m for m in messages if text in (m.text or "")]


async def test_a_normal_story_turned_urgent_reaches_urgent_only_readers_once_and_all_news_readers_never_twice(
    newsroom: Newsroom,
) -> None:
    tg = newsroom.tg
    urgent_only = await newsroom.user("Uma", "ar", "/subscribe economy")
    all_news = await newsroom.user("Ali", "en", "/subscribe economy", "/settings level economy all")
    await newsroom.channel(urgent_only, "economy")
    headline = "البنك المركزي يبقي الفائدة دون تغيير"

    newsroom.publish(("rate", headline), ("old", "افتتاح معرض الكتاب"))
    outcome = await newsroom.poll()
    assert (outcome.new, outcome.alert_ids) == (1, ())  # normal: stored, not pushed

    # the all-news reader gets it in a digest
    async with newsroom.app.sessionmaker() as session, session.begin():
        ali = await session.scalar(select(Subscriber.id).where(Subscriber.chat_id == all_news.chat_id))
        assert ali is not None
        plan = await digest_for(session, ali, newsroom.clock, timedelta(minutes=60))
    assert len(plan.alert_ids) == 1
    newsroom.app.sender.wake()
    await newsroom.settled()
    assert len(_with(await tg.messages(all_news.chat_id), headline)) == 1

    # the source now marks the same item urgent
    newsroom.publish(("rate", "عاجل | " + headline), ("old", "افتتاح معرض الكتاب"))
    outcome = await newsroom.poll()
    assert len(outcome.alert_ids) == 1 and outcome.new == 0
    await newsroom.settled()
    async with newsroom.app.sessionmaker() as session:
        alert = await session.get(Alert, outcome.alert_ids[0])
        assert alert is not None and alert.kind == "escalation"

    [push] = _with(await tg.messages(urgent_only.chat_id), headline)
    assert push.text is not None and push.text.startswith("🔴 عاجل | " + headline)
    assert push.options.get("disable_notification") in (None, False)  # urgent: with sound
    [post] = _with(await tg.messages(CHANNEL), headline)
    assert post.text is not None and post.text.startswith("🔴 عاجل | " + headline)
    assert len(_with(await tg.messages(all_news.chat_id), headline)) == 1  # the digest only

    # polls that see it again push nothing more
    for _ in range(2):
        assert (await newsroom.poll()).alert_ids == ()
    await newsroom.settled()
    assert len(_with(await tg.messages(urgent_only.chat_id), headline)) == 1
    assert len(_with(await tg.messages(CHANNEL), headline)) == 1
    assert len(_with(await tg.messages(all_news.chat_id), headline)) == 1


async def test_a_number_change_arrives_as_a_reply_with_the_update_badge_and_a_rewording_does_not(
    newsroom: Newsroom,
) -> None:
    tg = newsroom.tg
    arabic = await newsroom.user("Uma", "ar", "/subscribe world")
    english = await newsroom.user("Eve", "en", "/subscribe world")
    await newsroom.channel(arabic, "world")
    first = "مقتل 10 أشخاص في زلزال يضرب جنوب البلاد"

    newsroom.publish(("quake", "عاجل | " + first))
    assert len((await newsroom.poll()).alert_ids) == 1
    await newsroom.settled()
    chats = (arabic.chat_id, english.chat_id, CHANNEL)
    pushes = {chat: _with(await tg.messages(chat), first) for chat in chats}
    assert all(len(p) == 1 for p in pushes.values())

    # a rewording with the same facts: stored as a revision, not pushed
    newsroom.publish(("quake", "عاجل | زلزال يضرب جنوب البلاد ويقتل 10 أشخاص"))
    outcome = await newsroom.poll()
    assert (outcome.revisions, outcome.alert_ids) == (1, ())

    # the toll changes: one update per chat, replying to that chat's earlier push
    update = "ارتفاع حصيلة زلزال جنوب البلاد إلى ٢٥ قتيلا"
    newsroom.publish(("quake", "عاجل | " + update))
    outcome = await newsroom.poll()
    assert len(outcome.alert_ids) == 1
    await newsroom.settled()
    for chat, badge in ((arabic.chat_id, "🔄 تحديث"), (english.chat_id, "🔄 Update"), (CHANNEL, "🔄 تحديث")):
        [reply] = _with(await tg.messages(chat), update)
        assert reply.text is not None and reply.text.startswith(f"{badge} | {update}")
        assert reply.reply_to_message_id == pushes[chat][0].message_id
    async with newsroom.app.sessionmaker() as session:
        alert = await session.get(Alert, outcome.alert_ids[0])
        assert alert is not None and alert.kind == "update"
        assert alert.parent_alert_id is not None

    # seen again, and reworded without a new fact: nothing more
    assert (await newsroom.poll()).alert_ids == ()
    newsroom.publish(("quake", "عاجل | حصيلة زلزال جنوب البلاد ترتفع إلى 25 قتيلا"))
    assert (await newsroom.poll()).alert_ids == ()
    await newsroom.settled()
    for chat in chats:
        assert len(_with(await tg.messages(chat), "زلزال")) == 2  # the push and the one update
