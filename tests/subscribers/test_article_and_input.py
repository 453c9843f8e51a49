"""The full article on demand (pages with prev/next that edit in place, /article by id and URL, safe
fetching refused with a clear message and the link) and forged or stale buttons — end to end, in
Arabic and English."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.db.models import Article, Source
from bot.demo.content import SampleStory
from bot.domain import SourceKind
from bot.emulator.client import MessageView
from bot.i18n import t
from tests.subscribers.conftest import Stack, Talk, wait_until

LONG = SampleStory(
    "الحكومة تعرض موازنة العام المقبل على البرلمان",
    "اقتصاد",
    "عرضت الحكومة مشروع موازنة العام المقبل على البرلمان في جلسة استثنائية.",
    tuple(
        f"الفقرة {n}: "
        + "وقال وزير المالية إن الموازنة تركز على خفض العجز وتحفيز الاستثمار في القطاعات المنتجة. " * 6
        for n in range(1, 25)
    ),
)


async def _stored(stack: Stack, headline_part: str) -> int | None:
    async with stack.app.sessionmaker() as session:
        found = await session.scalar(select(Article.id).where(Article.headline.contains(headline_part)))
        return int(found) if found is not None else None


async def _new_messages(talk: Talk, before: int, count: int = 1) -> list[MessageView]:
    return (await talk.tg.wait_for_messages(talk.chat_id, before + count, within=10))[before:]


async def test_long_article_pages_and_article_command_in_both_languages(stack: Stack) -> None:
    published = stack.newsroom.publish(LONG)  # normal news: stored, not pushed
    url = stack.newsroom.article_url(published.number)

    async def stored() -> bool:
        return await _stored(stack, "موازنة العام المقبل") is not None

    await wait_until(stored, within=15, what="the long story stored")
    article_id = await _stored(stack, "موازنة العام المقبل")
    assert article_id is not None
    for lang in ("ar", "en"):
        await _read_as(stack, lang, article_id, url)


async def _read_as(stack: Stack, lang: str, article_id: int, url: str) -> None:
    tg = stack.tg
    user = await tg.create_user(f"reader-{lang}", language_code=lang)
    talk = Talk(tg, user.id, user.id)

    [latest] = await talk.say("/latest economy")
    assert latest.text is not None and "موازنة العام المقبل" in latest.text
    before = len(await tg.messages(user.id))
    await talk.press(latest, f"art:{article_id}:0")
    [page] = await _new_messages(talk, before)
    assert page.text is not None and len(page.text) <= 4096 and "الفقرة 1:" in page.text
    assert [b["text"] for b in page.buttons] == [t("button.next_page", lang)]
    total = int(page.text.rsplit("/", 1)[1])
    assert total >= 3

    # next edits the message in place; previous goes back
    await talk.press(page, f"pg:{article_id}:1")
    await wait_until(lambda: _edited_to(talk, page.message_id, f" 2/{total}"), what="page 2")
    page2 = await talk.message(page.message_id)
    assert [b["text"] for b in page2.buttons] == [
        t("button.prev_page", lang),
        t("button.next_page", lang),
    ]
    await talk.press(page2, f"pg:{article_id}:0")
    await wait_until(lambda: _edited_to(talk, page.message_id, f" 1/{total}"), what="back to page 1")
    assert len(await tg.messages(user.id)) == before + 1  # navigation sent no new messages

    # /article by id and by URL
    [by_id] = await talk.say(f"/article {article_id}")
    assert by_id.text == page.text
    [by_url] = await talk.say(f"/article {url}")
    assert by_url.text == page.text

    # refused and failing fetches: a clear message in the user's language, with the link
    [reply] = await talk.say("/article https://evil.example/steal?a=1&b=<2>")
    assert reply.text == t("article.not_allowed_link", lang, url="https://evil.example/steal?a=1&b=<2>")
    missing = f"{stack.newsroom.url}/news/99999"
    [reply] = await talk.say(f"/article {missing}")
    assert reply.text == t("article.failed", lang, url=missing)
    [reply] = await talk.say("/article 999999")
    assert reply.text == t("article.not_found", lang)
    [reply] = await talk.say("/article not-a-reference")
    assert reply.text == t("article.not_found", lang)
    [reply] = await talk.say("/article")
    assert reply.text == t("article.usage", lang)
    [reply] = await talk.say("/article https://x.example/" + "a" * 3000)
    assert reply.text is not None and reply.text == t("input.too_long", lang, limit=2048)


async def _edited_to(talk: Talk, message_id: int, fragment: str) -> bool:
    return (await talk.message(message_id)).text.endswith(fragment)  # type: ignore[union-attr]


@pytest.fixture
async def redirector() -> AsyncIterator[TestServer]:
    """A 'source' whose page redirects to a host that resolves to a private address."""
    hits: list[str] = []

    async def redirect(request: web.Request) -> web.StreamResponse:
        hits.append(request.path)
        raise web.HTTPFound(f"http://cdn.news.test:{request.url.port}/page")

    async def page(request: web.Request) -> web.StreamResponse:
        hits.append(request.path)
        return web.Response(text="<html><body><p>secret</p></body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/page", page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    server.hits = hits  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        await server.close()


async def test_url_redirecting_to_a_private_address_is_refused(stack: Stack, redirector: TestServer) -> None:
    """The source host is allowed (and, here, local); the redirect's host resolves to 10.x: refused
    before any connection, with the link, in the user's language."""
    port = redirector.port
    async with stack.app.sessionmaker() as session, session.begin():
        session.add(
            Source(
                name="news-test", kind=SourceKind.RSS, url=f"http://news.test:{port}/feed.xml", enabled=False
            )
        )

    async def resolver(host: str) -> Sequence[str]:
        return {"news.test": ["127.0.0.1"], "cdn.news.test": ["10.20.30.40"]}[host]

    reader = stack.app.article_reader
    reader.resolver = resolver
    reader.allow_private = {"127.0.0.1"}  # the local sources only, as a deployment on a LAN would
    for lang in ("ar", "en"):
        user = await stack.tg.create_user(f"ssrf-{lang}", language_code=lang)
        link = f"http://news.test:{port}/redirect"
        [reply] = await Talk(stack.tg, user.id, user.id).say(f"/article {link}")
        assert reply.text == t("article.not_allowed_link", lang, url=link)
    assert redirector.hits == ["/redirect", "/redirect"]  # type: ignore[attr-defined]


FORGED = (
    "art:999999:0",
    "tp:abc",
    "tp:999999",
    "st:zz:0",
    "st:timezone:9999",
    "st:quiet:-5",
    "pg:abc:1",
    "dg:424242:0",
    "ÿþ\u202e☃ random",
    "art:99999999999999999999999:0",
)


async def test_forged_and_stale_buttons_get_a_polite_answer_in_both_languages(stack: Stack) -> None:
    """Buttons whose payload was forged (or outlived what it points at) never raise and never stay
    silent: the callback is answered, and the article button says what went wrong."""
    for lang in ("ar", "en"):
        user = await stack.tg.create_user(f"forger-{lang}", language_code=lang)
        talk = Talk(stack.tg, user.id, user.id)
        await talk.say("/start")
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=str(i), callback_data=data)] for i, data in enumerate(FORGED)
            ]
        )
        sent = await stack.app.bot.send_message(user.id, "forged", reply_markup=markup)
        forged = await talk.message(sent.message_id)
        for data in FORGED:
            before = len(await stack.tg.messages(user.id))
            answer = await talk.press(forged, data)
            assert answer.answered, data
            if data.startswith("art:"):
                [reply] = await _new_messages(talk, before)
                assert reply.text == t("article.not_found", lang), data
            else:
                assert answer.text == t("callback.stale", lang) and answer.show_alert, data
