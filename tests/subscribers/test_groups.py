"""Groups, forum threads and channels, end to end: admins subscribe the group or one forum thread
(pushes go to that thread), non-admins are refused politely, commands in a channel get a helpful
answer — in Arabic and English."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Source, Subscriber, Subscription
from bot.demo.content import SampleStory
from bot.i18n import t
from tests.subscribers.conftest import Stack, Talk, wait_until


async def _baseline_done(stack: Stack) -> bool:
    async with stack.app.sessionmaker() as session:
        return bool(await session.scalar(select(Source.baseline_done)))


async def test_group_admins_subscribe_and_members_are_refused_in_both_languages(stack: Stack) -> None:
    tg = stack.tg
    for lang, economy, sports in (("ar", "اقتصاد", "رياضة"), ("en", "Economy", "Sports")):
        admin = await tg.create_user(f"admin-{lang}", language_code=lang)
        member = await tg.create_user(f"member-{lang}", language_code=lang)
        group = await tg.create_chat("group", f"Desk {lang}", creator_id=admin.id, member_ids=[member.id])
        await tg.add_bot(group.id)
        by_admin, by_member = Talk(tg, admin.id, group.id), Talk(tg, member.id, group.id)

        # members: every change refused politely; reading is open
        for command in ("/subscribe economy", "/unsubscribe economy", "/settings", "/stop", "/start"):
            [reply] = await by_member.say(command)
            assert reply.text == t("group.admin_only", lang), command
        [picker] = await by_member.say("/topics")
        assert picker.text == t("topics.prompt", lang)
        answer = await by_member.press(picker, picker.callback_data[0])
        assert answer.text == t("group.admin_only", lang) and answer.show_alert
        [reply] = await by_member.say("/mytopics")
        assert reply.text == t("mytopics.none", lang)

        # the admin subscribes the whole group, by command and by button
        [reply] = await by_admin.say("/subscribe economy")
        assert reply.text == t("topic.subscribed", lang, topic=economy)
        answer = await by_admin.press(picker, text=f"⬜ {sports}")
        assert answer.text == t("topic.subscribed", lang, topic=sports)
        [reply] = await by_member.say("/mytopics")
        assert reply.text is not None and economy in reply.text and sports in reply.text
        [panel] = await by_admin.say("/settings")
        assert panel.text is not None and panel.text.startswith(t("settings.title", lang))
        answer = await by_member.press(panel, panel.callback_data[0])
        assert answer.text == t("group.admin_only", lang)

        # an unknown command addressed to the bot gets an answer; other bots' commands are left alone
        me = await tg.bot()
        [reply] = await by_member.say(f"/frobnicate@{me['username']}")
        assert reply.text == t("command.unknown", lang)
        sent = await tg.send(member.id, "/otherbotcommand", chat_id=group.id)
        assert sent.update_id is not None
        [reply] = await by_admin.say("/help")  # the next answer is to /help: the other command got none
        assert reply.text == t("help", lang)

        # the admin stops: the group's data is gone
        [reply] = await by_admin.say("/stop")
        assert reply.text == t("stop.done", lang)
        async with stack.app.sessionmaker() as session:
            assert await session.scalar(select(Subscriber.id).where(Subscriber.chat_id == group.id)) is None


async def test_forum_thread_subscription_gets_pushes_in_that_thread(stack: Stack) -> None:
    tg = stack.tg
    admin = await tg.create_user("Hana", language_code="en")
    forum = await tg.create_chat("supergroup", "Newsroom forum", is_forum=True, creator_id=admin.id)
    await tg.add_bot(forum.id)
    sport_thread = await tg.add_topic(forum.id, "Sport")
    in_thread = Talk(tg, admin.id, forum.id, thread_id=sport_thread)

    [welcome] = await in_thread.say("/start")
    assert welcome.text == t("welcome.thread", "en") and welcome.message_thread_id == sport_thread
    [reply] = await in_thread.say("/subscribe Sports")
    assert reply.text == t("topic.subscribed", "en", topic="Sports")
    assert reply.message_thread_id == sport_thread
    [picker] = await in_thread.say("/topics")
    assert picker.text == t("topics.prompt.thread", "en")
    assert any(b["text"] == "✅ Sports" for b in picker.buttons)
    [reply] = await Talk(tg, admin.id, forum.id).say("/topics")  # the General topic: the whole chat
    assert reply.text == t("topics.prompt", "en") and all(b["text"].startswith("⬜") for b in reply.buttons)
    [reply] = await in_thread.say("/mytopics")
    assert reply.text is not None and t("mytopics.thread", "en", thread=sport_thread) in reply.text
    async with stack.app.sessionmaker() as session:
        threads = list(await session.scalars(select(Subscription.thread_id)))
    assert threads == [sport_thread]

    await wait_until(lambda: _baseline_done(stack), what="baseline poll")
    stack.newsroom.publish(SampleStory("عاجل | المنتخب يتأهل إلى نهائي كأس العرب", "رياضة", "lead", ("p",)))

    async def pushed() -> bool:
        return any("المنتخب يتأهل" in (m.text or "") for m in await in_thread.bot_messages())

    await wait_until(pushed, within=15, what="push in the thread")


async def test_commands_in_a_channel_get_a_helpful_answer(stack: Stack) -> None:
    tg = stack.tg
    owner = await tg.create_user("Owner", language_code="ar")
    channel = await tg.create_chat("channel", "Aajel channel", creator_id=owner.id)
    await tg.add_bot(channel.id, admin=True)
    [reply] = await Talk(tg, owner.id, channel.id).say("/subscribe economy")
    assert reply.text == t("chat.channel", "ar")


async def test_commands_are_registered_for_private_chats_and_groups_in_arabic_and_english(
    stack: Stack,
) -> None:
    async def registered() -> bool:
        return len(await stack.tg.commands()) >= 9

    await wait_until(registered, what="setMyCommands")
    menus = {
        (m["scope"], m["language_code"]): [c["command"] for c in m["commands"]]
        for m in await stack.tg.commands()
    }
    for scope in ('{"type":"default"}', '{"type":"all_private_chats"}', '{"type":"all_group_chats"}'):
        for lang in ("ar", "en", ""):  # "": no language code, the Arabic default
            key = next(k for k in menus if k[1] == lang and k[0] == scope)
            assert "subscribe" in menus[key] and "settings" in menus[key] and "help" in menus[key]
    private = next(v for k, v in menus.items() if "all_private_chats" in k[0] and k[1] == "en")
    group = next(v for k, v in menus.items() if "all_group_chats" in k[0] and k[1] == "en")
    assert "start" in private and "start" not in group
    ar = next(
        m
        for m in await stack.tg.commands()
        if "all_private_chats" in m["scope"] and m["language_code"] == "ar"
    )
    assert any(c["description"] == "اشتراكاتي" for c in ar["commands"])
