"""Channels end to end, on SQLite and PostgreSQL: the real app against the emulator and the sample
newsroom over HTTP.

A channel is created in Telegram, the bot added as administrator by an editor (registered, the editor
told), then declared in the sources file and imported while the bot runs (the reconciler applies it);
an urgent story of its topic is posted there with URL buttons only, a story of another topic is not;
the post's deep link opens the full article in a reader's private chat; an editor's /correct edits the
channel post and /retract deletes it; the bot is kicked and the channel is deactivated, the ops chat
told; adding it back reactivates it. Also: editors' /channels and the CMS routes, an "all" channel,
and sources-file changes reaching the running bot.
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
from bot.db.models import Alert, AuditLog, Channel, Delivery, Source
from bot.demo.content import SampleStory
from bot.demo.newsroom import SampleNewsroom
from bot.emulator import EmulatorServer
from bot.emulator.client import EmulatorClient
from bot.scheduling import read_schedule
from bot.services import channels as svc
from bot.services.newsroom import import_newsroom
from bot.sources.spec import load_newsroom
from tests.e2e.conftest import Stack, wait_until
from tests.editors.harness import ADMIN, OPS_CHAT, Newsroom, running_newsroom

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
                        await asyncio.wait_for(task, timeout=45)  # the graceful stop windows add up


async def _channel(stack: Stack) -> svc.ChannelInfo | None:
    async with stack.app.sessionmaker() as session:
        items = await svc.list_channels(session)
    return items[0] if items else None


async def _import(stack: Stack | Newsroom, text: str) -> None:
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
    await wait_until(lambda: _has(stack, EDITOR, "📣 "), what="the editor hears the channel was registered")

    # declared in the sources file while the bot runs: the reconciler applies it within seconds
    text = stack.newsroom.sources_toml(interval_seconds=2)
    text += (
        f'\n[[channels]]\nchat = "@{CHANNEL_USERNAME}"\ntopics = ["economy"]\nsignature = "Aajel channel"\n'
    )
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
        to_channel = list(await session.scalars(select(Delivery.alert_id).where(Delivery.chat_id == chat.id)))
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
    [current] = await tg.messages(chat.id)
    assert current.buttons and all("callback_data" not in b for b in current.buttons)
    assert (current.text or "").endswith("Aajel channel")

    # a retraction deletes the channel post
    await tg.send(EDITOR, f"/retract {alert_id}")

    async def deleted() -> bool:
        [current] = await tg.messages(chat.id)
        return current.deleted

    await wait_until(deleted, within=20, what="channel post deleted by the retraction")

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


# --- editors manage channels from Telegram and from the CMS -----------------------------------------


async def test_editors_manage_channels_from_telegram_and_the_cms(
    migrated_db_url: str, tmp_path: Path
) -> None:
    async with running_newsroom(migrated_db_url, tmp_path) as room:
        tg = room.tg
        desk = await tg.create_chat("channel", "Desk", username="aajel_desk", creator_id=ADMIN)
        wire = await tg.create_chat("channel", "Wire", username="aajel_wire", creator_id=ADMIN)

        # added without post rights: the editor who added it and the ops chat hear it
        await tg.add_bot(desk.id, admin=True, can_post_messages=False, by_user_id=ADMIN)
        await wait_until(lambda: _has_room(room, ADMIN, "⚠️"), what="editor told about missing rights")
        await wait_until(lambda: _has_room(room, OPS_CHAT, "⚠️"), what="ops told about missing rights")

        # added by forwarding a post from a channel the bot is not in yet: registered, missing rights
        post = (await tg.send(ADMIN, "first post", chat_id=wire.id)).message
        await tg.send(ADMIN, "/channels add")
        await wait_until(lambda: _has_room(room, ADMIN, "Forward me a post"), what="add prompt")
        await tg.forward(ADMIN, wire.id, post.message_id)

        async def statuses() -> dict[str, str]:
            async with room.app.sessionmaker() as session:
                return {c.title or "": c.status for c in await svc.list_channels(session)}

        async def both_known() -> bool:
            return await statuses() == {"Desk": "missing_rights", "Wire": "missing_rights"}

        await wait_until(both_known, what="both channels registered with missing rights")
        # then made an administrator: the same row becomes active
        await tg.add_bot(wire.id, admin=True, by_user_id=ADMIN)

        async def wire_active() -> bool:
            return (await statuses()).get("Wire") == "active"

        await wait_until(wire_active, what="wire reactivated")

        # /channels lists both with status; the panel toggles a topic and the level
        before = len(await tg.messages(ADMIN))
        await tg.send(ADMIN, "/channels")
        listing = (await tg.wait_for_messages(ADMIN, before + 1))[-1]
        assert "Desk" in (listing.text or "") and "missing rights" in (listing.text or "")
        assert "Wire" in (listing.text or "") and "active" in (listing.text or "")
        wire_row = await _by_title(room, "Wire")
        opened = await tg.press(ADMIN, listing.message_id, data=f"ch:open:{wire_row.id}:0")
        await tg.callback(opened.id, wait=5)
        economy = await room.topic_id("economy")
        pressed = await tg.press(ADMIN, listing.message_id, data=f"ch:topic:{wire_row.id}:{economy}")
        await tg.callback(pressed.id, wait=5)
        pressed = await tg.press(ADMIN, listing.message_id, data=f"ch:level:{wire_row.id}:1")
        await tg.callback(pressed.id, wait=5)

        async def toggled() -> bool:
            row = await _by_title(room, "Wire")
            return row.topics == ("economy",) and row.level == "all"

        await wait_until(toggled, what="topic and level changed from the panel")
        [panel] = [m for m in await tg.messages(ADMIN) if m.message_id == listing.message_id]
        assert "Level: all news" in (panel.text or "") or "all news" in (panel.text or "")
        async with room.app.sessionmaker() as session:
            actions = set(
                await session.scalars(select(AuditLog.action).where(AuditLog.action.like("channel.%")))
            )
        assert {"channel.registered", "channel.reactivated", "channel.topic", "channel.update"} <= actions

        # by @username: known already, the answer says how it is (still missing rights), with its panel
        before = len(await tg.messages(ADMIN))
        await tg.send(ADMIN, "/channels add @aajel_desk")
        answer = (await tg.wait_for_messages(ADMIN, before + 1))[-1]
        assert "Desk" in (answer.text or "") and "I cannot post" in (answer.text or "")
        assert any(b.get("callback_data", "").startswith("ch:topic:") for b in answer.buttons)

        # the CMS API: list, change, refuse bad input
        async with room.http.get(room.api + "/api/v1/channels", headers=room.auth()) as response:
            assert response.status == 200
            listed = {c["title"]: c for c in (await response.json())["channels"]}
        assert listed["Wire"]["topics"] == ["economy"] and listed["Desk"]["status"] == "missing_rights"
        url = f"{room.api}/api/v1/channels/{wire_row.id}"
        body = {"topics": ["world", "economy"], "level": "urgent", "signature": "— Wire"}
        async with room.http.put(url, json=body, headers=room.auth()) as response:
            assert response.status == 200, await response.text()
            changed = await response.json()
        assert (changed["topics"], changed["level"], changed["signature"]) == (
            ["economy", "world"],
            "urgent",
            "— Wire",
        )
        async with room.http.put(url, json={"topics": ["nope"]}, headers=room.auth()) as response:
            assert response.status == 422 and (await response.json())["field"] == "topics"
        async with room.http.put(url, json={"levl": "all"}, headers=room.auth()) as response:
            assert response.status == 422
        async with room.http.put(url, json={"level": "all"}) as response:
            assert response.status == 401
        async with room.http.put(room.api + "/api/v1/channels/999", json={}, headers=room.auth()) as response:
            assert response.status == 404

        # declared in the file: the CMS and the buttons are refused (409), the file wins
        text = room.newsroom.sources_toml(interval_seconds=2)
        text += '\n[[channels]]\nchat = "@aajel_wire"\ntopics = ["sports"]\n'
        await _import(room, text)

        async def file_managed() -> bool:
            row = await _by_title(room, "Wire")
            return row.managed_by == "file" and row.topics == ("sports",)

        await wait_until(file_managed, what="declaration applied")
        async with room.http.put(url, json={"level": "all"}, headers=room.auth()) as response:
            assert response.status == 409


async def _by_title(room: Newsroom, title: str) -> svc.ChannelInfo:
    async with room.app.sessionmaker() as session:
        return next(c for c in await svc.list_channels(session) if c.title == title)


async def _has_room(room: Newsroom, chat_id: int, words: str) -> bool:
    return any(words in (m.text or "") for m in await room.tg.messages(chat_id))


# --- live configuration: `aajel sources import` reaches the running bot ----------------------------


async def test_sources_file_changes_reach_the_running_bot_without_restart(
    channel_stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = channel_stack
    app = stack.app

    async def jobs() -> dict[str, float]:
        """What the running bot reports it polls (the report `aajel sources list` reads)."""
        async with app.sessionmaker() as session:
            report = await read_schedule(session)
        sources = (report or {}).get("sources", {})
        return {name: float(entry["interval_seconds"]) for name, entry in sources.items()}

    async def scheduled(expected: dict[str, float]) -> bool:
        return await jobs() == expected

    await wait_until(lambda: scheduled({"sample-feed": 2.0}), what="the first source scheduled")

    # added: scheduled (and polled) without a restart
    await _import(stack, stack.newsroom.sources_toml(interval_seconds=2, ticker=True))
    await wait_until(lambda: scheduled({"sample-feed": 2.0, "sample-ticker": 2.0}), what="ticker added")

    async def ticker_polled() -> bool:
        async with app.sessionmaker() as session:
            return bool(
                await session.scalar(select(Source.last_polled_at).where(Source.name == "sample-ticker"))
            )

    await wait_until(ticker_polled, what="the new source polled")

    # interval changed: polled at the new interval; removed: no longer polled (disabled, never deleted)
    text = stack.newsroom.sources_toml(interval_seconds=3)
    await _import(stack, text)
    await wait_until(lambda: scheduled({"sample-feed": 3.0}), what="interval changed and ticker removed")

    # `aajel sources list` shows what the running bot has scheduled
    from bot.cli_sources import _list

    async def reported() -> bool:
        capsys.readouterr()
        await _list(stack.settings, as_json=False)
        out = capsys.readouterr().out
        feed = next(line for line in out.splitlines() if " sample-feed " in line)
        ticker = next(line for line in out.splitlines() if " sample-ticker " in line)
        return "every 3s" in feed and " no " in ticker and "reported 1 scheduled sources" in out

    await wait_until(reported, what="sources list shows the running schedule")


async def test_an_all_news_channel_gets_normal_stories_silently(channel_stack: Stack) -> None:
    stack, tg = channel_stack, channel_stack.tg
    chat = await tg.create_chat("channel", "Sports Desk", username="aajel_sports", creator_id=EDITOR)
    await tg.add_bot(chat.id, admin=True, by_user_id=EDITOR)
    text = stack.newsroom.sources_toml(interval_seconds=2)
    text += '\n[[channels]]\nchat = "@aajel_sports"\ntopics = ["sports"]\nlevel = "all"\n'
    await _import(stack, text)

    async def ready() -> bool:
        channel = await _channel(stack)
        async with stack.app.sessionmaker() as session:
            baseline = bool(await session.scalar(select(Source.baseline_done)))
            cursor = await session.scalar(select(Channel.feed_cursor))
        return baseline and channel is not None and channel.level == "all" and cursor is not None

    await wait_until(ready, what="declared 'all' channel and baseline")
    stack.newsroom.publish(SampleStory("المنتخب يستعد لمباراة الغد", "رياضة", "lead", ("p",)))
    stack.newsroom.publish(SampleStory("الحكومة تناقش الميزانية", "سياسة", "lead", ("p",)))
    [post] = await tg.wait_for_messages(chat.id, 1, within=20)
    assert post.text is not None and post.text.startswith("📰") and "المنتخب يستعد" in post.text
    assert post.options.get("disable_notification") is True
    assert all("url" in b for b in post.buttons)
    assert len(await tg.messages(chat.id)) == 1
