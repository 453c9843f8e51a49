"""Hostile article pages behind ``/article <URL>``, through the real ArticleReader on both engines.

A configured source lives at ``news.test`` (an injected resolver maps it to 127.0.0.1 — the only
address ever connected to, recorded by a TraceConfig); its pages redirect into the metadata service,
grow past the cap, lie about their type, nest 50 000 deep or declare entities. Each gets its clear
error; the stored articles are untouched and a good page still opens afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.config import ArticleSettings
from bot.db.models import Article, Source
from bot.domain import SourceKind
from bot.exceptions import AajelError, ArticleNotAllowed, ExtractionError, FetchError
from bot.services.articles import ArticleReader

GOOD = "<html><body><article>" + "<p>نص المقال الكامل عن الزلزال الذي ضرب الساحل صباح اليوم.</p>" * 20
GOOD += "</article></body></html>"
NESTED = "<html><body>" + "<div>" * 50_000 + "<p>نص</p>" + "</div>" * 50_000 + "</body></html>"
ENTITIES = (
    '<!DOCTYPE html [<!ENTITY a "' + "a" * 1000 + '"><!ENTITY b "' + "&a;" * 1000 + '">]>'
    "<html><body><p>&b;&b;&b;</p></body></html>"
)

CASES: list[tuple[str, type[AajelError], str]] = [
    ("/to-metadata", ArticleNotAllowed, "never-fetched"),
    ("/to-metadata-name", ArticleNotAllowed, "cloud metadata name"),
    ("/to-linklocal-name", ArticleNotAllowed, "never-fetched"),
    ("/to-private", ArticleNotAllowed, "non-public"),
    ("/to-other-host", ArticleNotAllowed, "not one of the configured sources"),
    ("/huge", FetchError, "cap"),
    ("/xml", FetchError, "not an HTML page"),
    ("/nested", ExtractionError, "no readable body"),
    ("/entities", ExtractionError, "no readable body"),
]


@pytest.fixture
async def hostile_site() -> AsyncIterator[int]:
    def redirect(to: str):  # type: ignore[no-untyped-def]
        async def serve(request: web.Request) -> web.Response:
            raise web.HTTPFound(to)

        return serve

    routes = {
        "/to-metadata": "http://169.254.169.254/latest/meta-data/",
        "/to-metadata-name": "http://metadata.google.internal/",
        "/to-linklocal-name": "http://cdn.news.test/x",
        "/to-private": "http://lan.news.test/x",
        "/to-other-host": "http://elsewhere.example/x",
    }
    app = web.Application()
    for path, to in routes.items():
        app.router.add_get(path, redirect(to))

    async def huge(request: web.Request) -> web.Response:
        return web.Response(body=b"<html>" + b"x" * 2_000_000, content_type="text/html")

    async def xml(request: web.Request) -> web.Response:
        return web.Response(text="<?xml version='1.0'?><rss/>", content_type="application/xml")

    def page(html: str):  # type: ignore[no-untyped-def]
        async def serve(request: web.Request) -> web.Response:
            return web.Response(text=html, content_type="text/html")

        return serve

    app.router.add_get("/huge", huge)
    app.router.add_get("/xml", xml)
    app.router.add_get("/nested", page(NESTED))
    app.router.add_get("/entities", page(ENTITIES))
    app.router.add_get("/good", page(GOOD))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


async def test_hostile_pages_get_clear_errors_and_change_nothing(
    session_factory: async_sessionmaker[AsyncSession], hostile_site: int
) -> None:
    port = hostile_site
    async with session_factory() as session, session.begin():
        session.add(Source(name="news", kind=SourceKind.RSS, url=f"http://news.test:{port}/feed.xml"))

    async def resolver(host: str) -> Sequence[str]:
        return {
            "news.test": ["127.0.0.1"],
            "cdn.news.test": ["169.254.10.1"],
            "lan.news.test": ["10.0.0.8"],
        }[host]

    started: list[str] = []
    trace = aiohttp.TraceConfig()

    async def on_start(session: object, ctx: object, params: aiohttp.TraceRequestStartParams) -> None:
        started.append(params.url.host or "")

    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as http:
        reader = ArticleReader(
            session_factory,
            http,
            ArticleSettings(max_bytes=1_000_000),
            FrozenClock(),
            resolver=resolver,
            allow_private={"127.0.0.1"},  # exactly the local source, as a LAN deployment would
        )
        for path, error, fragment in CASES:
            with pytest.raises(error, match=fragment):
                await reader.open(f"http://news.test:{port}{path}", "ar")
        pages = await reader.open(f"http://news.test:{port}/good", "ar")
    assert pages.pages and "الزلزال" in pages.pages[0]
    assert set(started) == {"127.0.0.1"}
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Article)) == 0  # nothing stored
