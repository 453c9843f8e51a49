"""Every subscriber command and button in a private chat, end to end through the emulator, in Arabic
and in English (one user per language, sharing one stack to keep the suite fast)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import Delivery, Source, Subscriber, Subscription
from bot.i18n import t
from bot.keyboards import QUIET_PRESETS, TIMEZONE_PRESETS
from bot.services.subscriptions import MAX_ARGUMENT
from tests.subscribers.conftest import Stack, Talk, wait_until

TOPICS = {"ar": ("اقتصاد", "رياضة", "صحة"), "en": ("Economy", "Sports", "Health")}
# how each language's user names topics: slug, Arabic with the article, English in capitals
SAYS = {"ar": ("economy", "الرياضة", "الصحة"), "en": ("ECONOMY", "sports", "health")}


async def _baseline(stack: Stack) -> None:
    async def done() -> bool:
        async with stack.app.sessionmaker() as session:
            return bool(await session.scalar(select(Source.baseline_done)))

    await wait_until(done, what="baseline poll")


async def _conversation(stack: Stack, lang: str) -> None:
    tg = stack.tg
    user = await tg.create_user(f"user-{lang}", language_code=lang)
    talk = Talk(tg, user.id, user.id)
    economy, sports, health = TOPICS[lang]
    say_economy, say_sports, say_health = SAYS[lang]

    # /start: welcome + topic picker; a tap toggles and shows the state
    [welcome] = await talk.say("/start")
    assert welcome.text == t("welcome", lang)
    assert len(welcome.buttons) == 5 and all(b["text"].startswith("⬜") for b in welcome.buttons)
    button = next(b for b in welcome.buttons if economy in b["text"])
    answer = await talk.press(welcome, button["callback_data"])
    assert answer.text == t("topic.subscribed", lang, topic=economy)
    await wait_until(
        lambda: _has_check(talk, welcome.message_id, economy), what="keyboard shows the subscription"
    )

    # /subscribe by Arabic/English name, normalised; already; unknown; usage; oversized
    [reply] = await talk.say(f"/subscribe {say_sports}")
    assert reply.text == t("topic.subscribed", lang, topic=sports)
    [reply] = await talk.say(f"/subscribe {say_economy}")
    assert reply.text == t("topic.already", lang, topic=economy)
    [reply] = await talk.say("/subscribe <weather & stuff>")
    assert reply.text is not None and "<weather & stuff>" in reply.text and economy in reply.text
    [reply] = await talk.say("/subscribe")
    assert reply.text is not None and reply.text.startswith(t("subscribe.usage", lang).split("<")[0])
    [reply] = await talk.say("/subscribe " + "x" * (MAX_ARGUMENT + 1))
    assert reply.text == t("input.too_long", lang, limit=MAX_ARGUMENT)

    # /mytopics
    [reply] = await talk.say("/mytopics")
    assert reply.text is not None
    assert (
        reply.text.startswith(t("mytopics.header", lang)) and economy in reply.text and sports in reply.text
    )
    assert t("level.urgent", lang) in reply.text

    # /unsubscribe topic | not subscribed | usage
    [reply] = await talk.say(f"/unsubscribe {say_sports}")
    assert reply.text == t("topic.unsubscribed", lang, topic=sports)
    [reply] = await talk.say(f"/unsubscribe {say_health}")
    assert reply.text == t("topic.not_subscribed", lang, topic=health)
    [reply] = await talk.say("/unsubscribe")
    assert reply.text == t("unsubscribe.usage", lang)

    # /latest (the chat's topics, else everything), /latest topic, unknown topic; the buttons open articles
    await _baseline(stack)
    [reply] = await talk.say("/latest")
    assert reply.text is not None and reply.text.startswith(t("latest.header", lang))
    assert reply.callback_data and all(d.startswith("art:") for d in reply.callback_data)
    [article] = await _press_and_wait(talk, reply, reply.callback_data[0])
    assert article.text and "ترمب" in article.text  # the economy story of the sample newsroom
    [reply] = await talk.say(f"/latest {say_health}")
    assert reply.text in (t("latest.none", lang),) or (reply.text or "").startswith(
        t("latest.header_topic", lang, topic=health)
    )
    [reply] = await talk.say("/latest nowhere-topic")
    assert reply.text is not None and reply.text.startswith(
        t("topic.unknown", lang, topic="nowhere-topic", available="")[:10]
    )

    # /help
    [reply] = await talk.say("/help")
    assert reply.text == t("help", lang)

    # /settings: text, then every button
    [panel] = await talk.say("/settings")
    assert panel.text is not None and panel.text.startswith(t("settings.title", lang))
    assert t("settings.quiet", lang, value=t("settings.quiet_off", lang)) in panel.text
    level_button = next(b for b in panel.buttons if b["callback_data"].startswith("st:level:"))
    answer = await talk.press(panel, level_button["callback_data"])
    assert answer.text == t("settings.saved", lang) + " " + t("level.all", lang)
    await wait_until(lambda: _text_has(talk, panel.message_id, t("level.all", lang)), what="level shown")
    answer = await talk.press(await talk.message(panel.message_id), "st:quiet_menu:0")
    await wait_until(
        lambda: _text_has(talk, panel.message_id, t("settings.quiet_prompt", lang, tz="UTC")),
        what="quiet menu",
    )
    answer = await talk.press(await talk.message(panel.message_id), "st:quiet:1")
    start, end = QUIET_PRESETS[1]
    assert answer.text == t("settings.quiet_saved", lang, value=f"{start // 60:02d}:00–{end // 60:02d}:00")
    await wait_until(lambda: _text_has(talk, panel.message_id, "23:00–07:00"), what="quiet hours shown")
    await talk.press(await talk.message(panel.message_id), "st:timezone_menu:0")
    await wait_until(lambda: _text_has(talk, panel.message_id, t("settings.tz_prompt", lang)), what="tz menu")
    riyadh = TIMEZONE_PRESETS.index("Asia/Riyadh")
    answer = await talk.press(await talk.message(panel.message_id), f"st:timezone:{riyadh}")
    assert answer.text == t("settings.tz_saved", lang, value="Asia/Riyadh")
    other = "en" if lang == "ar" else "ar"
    answer = await talk.press(await talk.message(panel.message_id), "st:language:0")
    assert answer.text == t("settings.lang_saved", other)
    await wait_until(
        lambda: _text_has(talk, panel.message_id, t("settings.title", other)), what="panel re-rendered"
    )
    [reply] = await talk.say("/help")
    assert reply.text == t("help", other)  # replies follow the stored language now
    [reply] = await talk.say(f"/settings lang {lang}")
    assert reply.text == t("settings.lang_saved", lang)

    # /settings sub-commands, valid and not
    [reply] = await talk.say("/settings tz europe/london")
    assert reply.text == t("settings.tz_saved", lang, value="Europe/London")
    [reply] = await talk.say("/settings tz Mars/Phobos")
    assert reply.text == t("settings.bad_timezone", lang, value="Mars/Phobos")
    [reply] = await talk.say("/settings quiet 25:00-07:00")
    assert reply.text == t("settings.bad_quiet", lang, value="25:00-07:00")
    [reply] = await talk.say("/settings quiet ٢٢:٣٠-٠٦:٠٠")
    assert reply.text == t("settings.quiet_saved", lang, value="22:30–06:00")
    [reply] = await talk.say("/settings quiet off")
    assert reply.text == t("settings.quiet_saved", lang, value=t("settings.quiet_off", lang))
    [reply] = await talk.say(f"/settings level {say_economy} urgent")
    assert reply.text == t("settings.level_saved", lang, topic=economy, level=t("level.urgent", lang))
    [reply] = await talk.say(f"/settings level {say_health} all")
    assert reply.text == t("topic.not_subscribed", lang, topic=health)
    [reply] = await talk.say("/settings level")
    assert reply.text is not None and reply.text.startswith(t("settings.usage", lang, hint="").strip())
    [reply] = await talk.say("/settings colour blue")
    assert reply.text is not None and reply.text.startswith(t("settings.usage", lang, hint="").strip())
    [reply] = await talk.say("/settings lang klingon")
    assert reply.text == t("settings.bad_language", lang, value="klingon")

    # unknown commands and plain text never meet silence
    [reply] = await talk.say("/frobnicate")
    assert reply.text == t("command.unknown", lang)
    [reply] = await talk.say("hello there")
    assert reply.text == t("text.hint", lang)

    # deep links subscribe directly; an unknown one explains and still shows the picker
    [note, picker] = await talk.say("/start topic_health", replies=2)
    assert note.text == t("topic.subscribed", lang, topic=health)
    assert any(b["text"].startswith("✅") and health in b["text"] for b in picker.buttons)
    [note, _picker] = await talk.say("/start topic_weather", replies=2)
    assert note.text is not None and "weather" in note.text

    # /unsubscribe all, then /stop deletes the chat's data
    [reply] = await talk.say("/unsubscribe all" if lang == "en" else "/unsubscribe الكل")
    assert reply.text == t("unsubscribe.all", lang, count=2)
    await talk.say(f"/subscribe {say_economy}")
    [reply] = await talk.say("/stop")
    assert reply.text == t("stop.done", lang)
    async with stack.app.sessionmaker() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Subscriber).where(Subscriber.chat_id == user.id)
            )
            == 0
        )
        assert await session.scalar(select(func.count()).select_from(Subscription)) is not None
        assert (
            await session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.chat_id == user.id)
            )
            == 0
        )
    [reply] = await talk.say("/stop")
    assert reply.text == t("stop.nothing", lang)


async def _has_check(talk: Talk, message_id: int, topic: str) -> bool:
    message = await talk.message(message_id)
    return any(b["text"].startswith("✅") and topic in b["text"] for b in message.buttons)


async def _text_has(talk: Talk, message_id: int, fragment: str) -> bool:
    return fragment in ((await talk.message(message_id)).text or "")


async def _press_and_wait(talk: Talk, message: object, data: str) -> list:  # type: ignore[type-arg]
    from bot.emulator.client import MessageView

    assert isinstance(message, MessageView)
    before = len(await talk.tg.messages(talk.chat_id))
    await talk.press(message, data)
    messages = await talk.tg.wait_for_messages(talk.chat_id, before + 1, within=10)
    return messages[before:]


async def test_every_private_command_and_button_in_arabic_and_english(stack: Stack) -> None:
    for lang in ("ar", "en"):
        await _conversation(stack, lang)
