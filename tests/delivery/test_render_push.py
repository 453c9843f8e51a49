"""Push rendering checked the way Telegram checks it: sent by the real sender and parsed by the
emulator's TDLib-faithful HTML parser (limits, entities, notification, preview, button)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.callbacks import ArticleCb
from bot.delivery.render import AlertView, render_alert, render_retraction
from bot.domain import DeliveryStatus, Urgency
from bot.emulator.tghtml import prepare_text
from tests.delivery.conftest import World

LONG = ("خبر عاجل جدًا <b>&amp;</b> " * 300)[:5000]


def test_a_5000_character_headline_and_body_stay_under_telegrams_limits() -> None:
    view = AlertView(
        alert_id=1,
        headline=LONG,
        body=LONG,
        urgency=Urgency.FLASH,
        topic_names=(("سياسة", "Politics"),),
        source_name="وكالة الأنباء",
        when=datetime(2026, 5, 1, 21, 30, tzinfo=UTC),
        url="https://news.example/a?id=1&x=<y>",
        article_id=2**40,
    )
    for lang in ("ar", "en"):
        message = render_alert(view, lang=lang, tz=ZoneInfo("Asia/Riyadh"))
        parsed = prepare_text(message.text, "HTML", None)  # raises like Telegram if invalid or too long
        assert 0 < len(parsed.text) <= 4096
        assert parsed.text == message.plain  # the plain-text fallback says the same thing
        assert "<b>&amp;</b>" in parsed.text  # source text is escaped, never markup
        assert message.reply_markup is not None
        for button in [b for row in message.reply_markup.inline_keyboard for b in row]:
            assert button.callback_data is None or len(button.callback_data.encode()) <= 64
    notice = render_retraction(view, lang="ar")
    assert len(prepare_text(notice.text, "HTML", None).text) <= 4096


def test_badges_sound_and_local_time_by_level() -> None:
    when = datetime(2026, 5, 1, 21, 30, tzinfo=UTC)
    for urgency, badge, silent in (
        (Urgency.FLASH, "🔴🔴 عاجل جدًا", False),
        (Urgency.URGENT, "🔴 عاجل", False),
        (Urgency.NORMAL, "📰 خبر", True),
    ):
        view = AlertView(1, "عنوان", urgency, source_name="رويترز", when=when)
        message = render_alert(view, lang="ar", tz=ZoneInfo("Asia/Riyadh"))
        assert message.plain.startswith(badge + " | عنوان")  # an Arabic badge first: RTL paragraph
        assert message.disable_notification is silent
        assert "00:30 02/05/2026" in message.plain  # 21:30 UTC is 00:30 in Riyadh, next day
        assert message.link_preview.is_disabled  # no URL: no preview


async def test_the_push_as_telegram_shows_it(world: World) -> None:
    await world.subscribers([1], language="ar")
    await world.subscribers([2], language="en")
    alert_id = await world.alert(
        "انفجار <قوي> في الميناء & حريق",
        Urgency.URGENT,
        url="https://news.example/port?id=7&lang=ar",
        article_id=None,
        source_name="Reuters",
        body=LONG,
    )
    await world.sender().run_until_idle()
    assert {r.status for r in await world.deliveries(alert_id)} == {DeliveryStatus.SENT}
    [ar] = world.emulator.bot_messages(1)
    [en] = world.emulator.bot_messages(2)
    assert (ar.text or "").startswith("🔴 عاجل | انفجار <قوي> في الميناء & حريق")
    assert (en.text or "").startswith("🔴 BREAKING | انفجار <قوي>")
    assert len(ar.text or "") <= 4096
    assert {"type": "bold"}.items() <= ar.entities[0].items()
    assert any(e.get("url") == "https://news.example/port?id=7&lang=ar" for e in ar.entities)
    assert ar.options["link_preview_options"]["url"] == "https://news.example/port?id=7&lang=ar"
    assert ar.options.get("disable_notification") is None  # urgent: with sound
    assert [b["text"] for b in ar.reply_markup["inline_keyboard"][0]] == ["🔗 المصدر"]  # type: ignore[index]
    assert "المصدر: Reuters" in (ar.text or "") and "Source: Reuters" in (en.text or "")


async def test_the_full_article_button_carries_only_the_article_id(world: World) -> None:
    from sqlalchemy import insert

    from bot.db.models import Article, Source
    from bot.domain import SourceKind

    now = world.clock.now()
    async with world.sessionmaker() as session, session.begin():
        source = Source(name="s", kind=SourceKind.RSS, url="https://news.example/rss")
        session.add(source)
        await session.flush()
        article_id = (
            await session.execute(
                insert(Article)
                .values(source_id=source.id, headline="h", detected_at=now)
                .returning(Article.id)
            )
        ).scalar_one()
    await world.subscribers([1])
    await world.alert("خبر", Urgency.NORMAL, article_id=article_id)  # level "urgent": not planned
    await world.subscribers([3], level="all")
    await world.alert("خبر عادي", Urgency.NORMAL, article_id=article_id)
    await world.sender().run_until_idle()
    assert world.emulator.bot_messages(1) == []
    [message] = world.emulator.bot_messages(3)
    assert message.options.get("disable_notification") is True  # normal: silent
    button = message.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    assert button["callback_data"] == ArticleCb(article_id=article_id).pack()
