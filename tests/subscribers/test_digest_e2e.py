"""Digests end to end: "all news" subscribers get normal news as one silent digest through the outbox
and the sender; digests wait out quiet hours; urgent news never waits."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.models import Alert, Article, Source, Subscriber
from bot.delivery.digest_render import render_digest
from bot.delivery.render import AlertView
from bot.demo.content import SampleStory
from bot.domain import Urgency
from bot.i18n import t
from bot.services.subscriptions import format_minutes, local_now
from tests.subscribers.conftest import Stack, Talk, wait_until


async def _baseline_done(stack: Stack) -> bool:
    async with stack.app.sessionmaker() as session:
        return bool(await session.scalar(select(Source.baseline_done)))


async def _stored(stack: Stack, *parts: str) -> bool:
    async with stack.app.sessionmaker() as session:
        headlines = list(await session.scalars(select(Article.headline)))
    return all(any(p in h for h in headlines) for p in parts)


async def test_normal_news_arrives_as_a_digest_after_quiet_hours_and_urgent_news_never_waits(
    stack: Stack,
) -> None:
    tg = stack.tg
    await wait_until(lambda: _baseline_done(stack), what="baseline poll")
    reader = await tg.create_user("Reader", language_code="en")
    sleeper = await tg.create_user("Sleeper", language_code="ar")
    reading, sleeping = Talk(tg, reader.id, reader.id), Talk(tg, sleeper.id, sleeper.id)
    now = local_now(stack.app.clock.now(), "Asia/Riyadh")
    minute = now.hour * 60 + now.minute
    window = f"{format_minutes((minute - 60) % 1440)}-{format_minutes((minute + 60) % 1440)}"
    for talk, lang in ((reading, "en"), (sleeping, "ar")):
        await talk.say("/subscribe economy")
        [reply] = await talk.say("/settings level economy all")
        assert reply.text == t(
            "settings.level_saved",
            lang,
            topic="Economy" if lang == "en" else "اقتصاد",
            level=t("level.all", lang),
        )
    await sleeping.say("/settings tz Asia/Riyadh")
    [reply] = await sleeping.say(f"/settings quiet {window}")
    assert reply.text is not None and reply.text.startswith("✅")

    stack.newsroom.publish(SampleStory("البنك المركزي يبقي الفائدة دون تغيير", "اقتصاد", "lead", ("p",)))
    stack.newsroom.publish(SampleStory("ارتفاع صادرات الفوسفات 12% في الربع الأول", "اقتصاد", "lead", ("p",)))
    stack.newsroom.publish(SampleStory("المنتخب يستعد لمباراة ودية", "رياضة", "lead", ("p",)))
    await wait_until(
        lambda: _stored(stack, "الفائدة دون تغيير", "الفوسفات", "مباراة ودية"), within=15, what="stored"
    )
    assert len(await tg.messages(reader.id)) == 2  # the two replies: no single pushes for normal news

    created = await stack.app.digester.run_once()
    assert len(created) == 1  # the reader's; the sleeper is in quiet hours
    [digest] = (await tg.wait_for_messages(reader.id, 3, within=10))[2:]
    assert digest.text is not None
    assert "الفائدة دون تغيير" in digest.text and "الفوسفات" in digest.text
    assert "مباراة ودية" not in digest.text  # not a topic of theirs
    assert digest.options.get("disable_notification") is True  # digests are silent
    async with stack.app.sessionmaker() as session:
        alert = await session.get(Alert, created[0])
        assert alert is not None and alert.kind == "digest"
        assert alert.headline == t("digest.title", "en", count=2)
        last = await session.scalar(select(Subscriber.last_digest_at).where(Subscriber.chat_id == reader.id))
        assert last is not None
    assert await stack.app.digester.run_once() == []  # at most one digest per period

    # the digest's own rendering: linked headlines and one "full article" button per item
    async with stack.app.sessionmaker() as session:
        alert = await session.get(Alert, created[0])
        assert alert is not None
        view = AlertView(alert.id, alert.headline, Urgency.NORMAL, body=alert.body, kind=alert.kind)
    rendered = render_digest(view, lang="en", tz=ZoneInfo("UTC"))
    sent = await stack.app.bot.send_message(reader.id, rendered.text, reply_markup=rendered.reply_markup)
    shown = await reading.message(sent.message_id)
    assert len([e for e in shown.entities if e["type"] == "text_link"]) == 2
    count = len(await tg.messages(reader.id))
    await reading.press(shown, shown.callback_data[1])
    [article] = (await tg.wait_for_messages(reader.id, count + 1, within=10))[count:]
    assert article.text is not None and article.text.startswith("ارتفاع صادرات الفوسفات")

    # urgent news reaches the sleeper at once, quiet hours or not
    stack.newsroom.publish(SampleStory("عاجل | البورصة تعلق التداول بعد هبوط حاد", "اقتصاد", "lead", ("p",)))

    async def urgent_arrived() -> bool:
        return any("تعلق التداول" in (m.text or "") for m in await tg.messages(sleeper.id))

    await wait_until(urgent_arrived, within=15, what="urgent push during quiet hours")

    # the digest waited; when the quiet hours end it comes with everything since
    await sleeping.say("/settings quiet off")
    count = len(await tg.messages(sleeper.id))
    assert len(await stack.app.digester.run_once()) == 1
    [digest] = (await tg.wait_for_messages(sleeper.id, count + 1, within=10))[count:]
    assert digest.text is not None and "الفائدة دون تغيير" in digest.text and "الفوسفات" in digest.text
    assert "تعلق التداول" not in digest.text  # urgent news is pushed, never digested
