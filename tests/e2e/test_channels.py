"""Channels end to end, on SQLite and PostgreSQL: the real app against the emulator and the sample
newsroom over HTTP.

A channel is created in Telegram, the bot added as administrator by an editor (registered, the editor
told), then declared in the sources file and imported while the bot runs (the reconciler applies it);
an urgent story of its topic is posted there with URL buttons only, a story of another topic is not;
the post's deep link opens the full article in a reader's private chat; an editor's /correct edits the
channel post; the bot is kicked and the channel is deactivated, the ops chat told.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bot.app import Aajel
from bot.clock import SystemClock
from bot.config import load_settings
from bot.db.models import Alert, Channel, Delivery, Source
from bot.demo.content import SampleStory
from bot.demo.newsroom import SampleNewsroom
from bot.emulator import EmulatorServer
from bot.emulator.client import EmulatorClient
from bot.services import channels as svc
from bot.services.newsroom import import_newsroom
from bot.sources.spec import load_newsroom
from tests.e2e.conftest import Stack, wait_until

EDITOR, OPS, READER = 5001, 5002, 5003
CHANNEL_USERNAME = "aajel_test_news"


@pytest.fixture
async def channel_stack(migrated_db_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with EmulatorServer() as server, SampleNewsroom(initial=3) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(interval_seconds=2), encoding="utf-8")
        settings = load_settings(
            bot_token=server.token,
            telegram_api_url=server.url,
            database_url=migrated_db_url,
            sources_file=sources,
            editor_ids=[EDITOR],
            ops_chat_id=OPS,
            articles={"allow_private_addresses": True},
            delivery={"global_rate": 200},
            _env_file=None,
        )
        stop = asyncio.Event()
        async with EmulatorClient(server.url) as tg:
            for user_id, name in ((EDITOR, "Editor"), (OPS, "Ops"), (READER, "Reader")):
                await tg.create_user(name, user_id=user_id, language_code="en", started=True)
            async with Aajel(settings, clock=SystemClock(), migrate=False) as app:
                task = asyncio.create_task(app.run(stop))
                try:
                    yield Stack(app, tg, newsroom, settings)
                finally:
                    stop.set()
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.wait_for(task, timeout=15)


async def _channel(stack: Stack) -> svc.ChannelInfo | None:
    async with stack.app.sessionmaker() as session:
        items = await svc.list_channels(session)
    return items[0] if items else None


async def _import(stack: Stack, text: str) -> None:
    """What `aajel sources import` does, against the running bot's database."""
    stack.settings.sources_file.write_text(text, encoding="utf-8")
    newsroom = load_newsroom(stack.settings.sources_file)
    async with stack.app.sessionmaker() as session, session.begin():
        await import_newsroom(session, newsroom, SystemClock())


async def _texts(stack: Stack, chat_id: int) -> list[str]:
    return [m.text or "" for m in await stack.tg.messages(chat_id)]


async def test_channel_declared_fed_deep_linked_corrected_and_kicked(channel_stack: Stack) -> None:
    stack, tg = channel_stack, channel_stack.tg
    chat = await tg.create_chat("channel", "Aajel Test News", username=CHANNEL_USERNAME, creator_id=EDITOR)

    # the editor adds the bot as administrator: the channel is registered, the editor told
    await tg.add_bot(chat.id, admin=True, by_user_id=EDITOR)

    async def registered() -> bool:
        channel = await _channel(stack)
        return channel is not None and channel.status == "active"

    await wait_until(registered, what="channel registered from my_chat_member")
    await wait_until(
        lambda: _has(stack, EDITOR, "📣 "), what="the editor hears the channel was registered"
    )

    # declared in the sources file while the bot runs: the reconciler applies it within seconds
    text = stack.newsroom.sources_toml(interval_seconds=2)
    text += f'\n[[channels]]\nchat = "@{CHANNEL_USERNAME}"\ntopics = ["economy"]\nsignature = "Aajel channel"\n'
    await _import(stack, text)

    async def declared() -> bool:
        channel = await _channel(stack)
        return channel is not None and channel.managed_by == "file" and channel.topics == ("economy",)

    await wait_until(declared, what="declaration applied by the running bot")

    async def baseline() -> bool:
        async with stack.app.sessionmaker() as session:
            return bool(await session.scalar(select(Source.baseline_done)))

    await wait_until(baseline, what="baseline poll")
    stack.newsroom.publish(SampleStory("عاجل | المنتخب يفوز بالكأس", "رياضة", "lead", ("p",)))
    economy = stack.newsroom.publish(
        SampleStory(
            "عاجل | البنك المركزي يرفع الفائدة",
            "اقتصاد",
            "رفع البنك المركزي سعر الفائدة نصف نقطة.",
            ("وقال المحافظ إن القرار يهدف إلى كبح التضخم.",),
        )
    )
    [post] = await tg.wait_for_messages(chat.id, 1, within=20)
    assert post.text is not None and "البنك المركزي يرفع الفائدة" in post.text
    assert post.text.endswith("Aajel channel")
    assert post.buttons and all("url" in b and "callback_data" not in b for b in post.buttons)
    assert any(e.get("url") == stack.newsroom.article_url(economy.number) for e in post.entities)

    # the sports story was made into an alert too, but never planned for the channel
    async def both_alerts() -> bool:
        async with stack.app.sessionmaker() as session:
            return len(list(await session.scalars(select(Alert.id)))) >= 2

    await wait_until(both_alerts, what="the sports alert")
    async with stack.app.sessionmaker() as session:
        sports = await session.scalar(select(Alert.id).where(Alert.headline.contains("المنتخب")))
        to_channel = list(
            await session.scalars(select(Delivery.alert_id).where(Delivery.chat_id == chat.id))
        )
    assert sports is not None and sports not in to_channel
    assert len(await tg.messages(chat.id)) == 1

    # the full-article button deep-links into the private chat, where the article opens
    full = post.buttons[0]["url"]
    me = await tg.bot()
    parts = urlsplit(full)
    assert (parts.netloc, parts.path) == ("t.me", f"/{me['username']}")
    payload = parse_qs(parts.query)["start"][0]
    await tg.send(READER, f"/start {payload}")
    replies = await tg.wait_for_messages(READER, 1, within=15)
    assert "رفع البنك المركزي سعر الفائدة" in (replies[0].text or "")

    # an editor's correction edits the channel post
    async with stack.app.sessionmaker() as session:
        alert_id = await session.scalar(select(Alert.id).where(Alert.headline.contains("البنك المركزي")))
    await tg.send(EDITOR, f"/correct {alert_id} البنك المركزي يرفع الفائدة ربع نقطة")

    async def corrected() -> bool:
        [current] = await tg.messages(chat.id)
        return current.edited and "ربع نقطة" in (current.text or "")

    await wait_until(corrected, within=20, what="channel post corrected")

    # kicked: the channel is deactivated and the ops chat told
    await tg.kick_bot(chat.id, by_user_id=EDITOR)

    async def removed() -> bool:
        channel = await _channel(stack)
        return channel is not None and channel.status == "removed"

    await wait_until(removed, what="channel deactivated after the kick")
    await wait_until(lambda: _has(stack, OPS, "⛔"), what="ops told about the kick")
    async with stack.app.sessionmaker() as session:
        row = await session.scalar(select(Channel))
    assert row is not None and row.active is False

    # re-adding reactivates it
    await tg.add_bot(chat.id, admin=True, by_user_id=EDITOR)

    async def active_again() -> bool:
        channel = await _channel(stack)
        return channel is not None and channel.status == "active"

    await wait_until(active_again, what="channel reactivated")


async def _has(stack: Stack, chat_id: int, words: str) -> bool:
    return any(words in text for text in await _texts(stack, chat_id))
