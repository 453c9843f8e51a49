"""The foundation's end-to-end slice: /start → pick a topic → an urgent headline appears on a real
HTTP source → the subscriber gets the push → taps "full article" → gets the body text."""

from __future__ import annotations

import html

from sqlalchemy import select

from bot.db.models import Source
from bot.demo.content import SampleStory
from tests.e2e.conftest import Stack, wait_until


async def _baseline_done(stack: Stack) -> bool:
    async with stack.app.sessionmaker() as session:
        return bool(await session.scalar(select(Source.baseline_done)))


async def test_subscriber_gets_urgent_push_and_full_article(stack: Stack) -> None:
    tg = stack.tg
    layla = await tg.create_user("Layla", language_code="ar")
    await tg.start(layla.id)
    [welcome] = await tg.wait_for_messages(layla.id, 1)
    assert "أهلًا بك في عاجل" in (welcome.text or "")
    economy = next(b for b in welcome.buttons if "اقتصاد" in b["text"])
    callback = await tg.press(layla.id, welcome.message_id, data=economy["callback_data"])
    answered = await tg.callback(callback.id, wait=5)
    assert answered.text and "اشتركت" in answered.text
    [welcome] = await tg.messages(layla.id)
    assert any(b["text"].startswith("✅") and "اقتصاد" in b["text"] for b in welcome.buttons)

    # the first poll of the source is a baseline: the three old stories are not pushed
    await wait_until(lambda: _baseline_done(stack), what="baseline poll")
    story = SampleStory(
        "عاجل | البورصة تهبط 5% <بعد> قرار الفائدة & التضخم",
        "اقتصاد",
        "هبطت مؤشرات البورصة بنسبة خمسة في المئة في أول تداول بعد قرار رفع الفائدة.",
        (
            "وقال محللون إن القرار فاجأ الأسواق التي كانت تتوقع تثبيت الأسعار.",
            "وتراجعت أسهم البنوك أكثر من غيرها.",
        ),
    )
    published = stack.newsroom.publish(story)

    messages = await tg.wait_for_messages(layla.id, 2, within=15)
    push = messages[1]
    assert push.text is not None and push.html is not None
    assert push.text.startswith("🔴 عاجل | البورصة تهبط 5% <بعد> قرار الفائدة & التضخم")
    assert "عاجل | عاجل" not in push.text  # the source's marker is stripped, only our badge remains
    assert html.escape("<بعد>") in push.html and "&amp; التضخم" in push.html
    link = stack.newsroom.article_url(published.number)
    assert any(e.get("url") == link for e in push.entities)
    assert push.options.get("disable_notification") in (None, False)  # urgent: with sound
    full = next(b for b in push.buttons if "callback_data" in b)

    await tg.press(layla.id, push.message_id, data=full["callback_data"])
    messages = await tg.wait_for_messages(layla.id, 3, within=15)
    article = messages[2].text or ""
    assert "البورصة تهبط" in article
    assert story.lead in article
    assert all(p in article for p in story.paragraphs)
    assert "اقرأ أيضًا" not in article and "فيسبوك" not in article  # boilerplate dropped


async def test_subscriber_of_another_topic_gets_nothing(stack: Stack) -> None:
    tg = stack.tg
    omar = await tg.create_user("Omar", language_code="en")
    await tg.start(omar.id)
    [welcome] = await tg.wait_for_messages(omar.id, 1)
    assert "Welcome to Aajel" in (welcome.text or "")
    sports = next(b for b in welcome.buttons if "Sports" in b["text"])
    callback = await tg.press(omar.id, welcome.message_id, data=sports["callback_data"])
    await tg.callback(callback.id, wait=5)
    await wait_until(lambda: _baseline_done(stack), what="baseline poll")
    stack.newsroom.publish(SampleStory("عاجل | البنك المركزي يثبت الفائدة", "اقتصاد", "lead", ("p",)))
    stack.newsroom.publish(SampleStory("عاجل | المنتخب يفوز بالكأس", "رياضة", "lead", ("p",)))
    messages = await tg.wait_for_messages(omar.id, 2, within=15)
    assert "المنتخب يفوز بالكأس" in (messages[1].text or "")
    assert messages[1].text and messages[1].text.startswith("🔴 BREAKING")
    assert all("البنك المركزي" not in (m.text or "") for m in await tg.messages(omar.id))
