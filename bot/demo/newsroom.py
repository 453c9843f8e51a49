"""A sample newsroom served over real HTTP: an Arabic site shaped like the seed page.

Serves, on 127.0.0.1:

* ``/`` — the home page with the "أحدث الأخبار" ticker (``<li class="urgent">`` for breaking items,
  whose text reads "عاجل | …");
* ``/feed.xml`` — an RSS 2.0 feed of the same stories, newest first, with ETag / 304 support;
* ``/news/{n}`` — the article page: ticker, date line, title, source line, lead, paragraphs, share
  links, related links — the boilerplate a full-article extractor must drop.

It publishes the next story from :mod:`bot.demo.content` every ``interval`` seconds (or when a test
calls :meth:`SampleNewsroom.publish`). Used by ``aajel demo`` and by end-to-end tests as a real
HTTP source.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime

from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.demo.content import CATEGORIES, STORIES, SampleStory


def bound_port(runner: web.AppRunner) -> int:
    """The port a started runner listens on (useful when started on port 0)."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("server is not listening on a TCP port")


@dataclass(frozen=True, slots=True)
class Published:
    number: int
    story: SampleStory
    at: datetime


class SampleNewsroom:
    def __init__(
        self, *, interval: float | None = None, clock: Clock | None = None, initial: int = 3
    ) -> None:
        self._clock = clock or SystemClock()
        self._interval = interval
        self._items: list[Published] = []
        self._next_story = 0
        self._runner: web.AppRunner | None = None
        self._task: asyncio.Task[None] | None = None
        self.url = ""
        self.requests: list[str] = []
        for _ in range(initial):
            self.publish()

    # --- content --------------------------------------------------------------------------------

    def publish(self, story: SampleStory | None = None) -> Published:
        """Add a story (the next one from the pool by default); it appears on every page at once."""
        if story is None:
            story = STORIES[self._next_story % len(STORIES)]
            self._next_story += 1
        # publication times strictly increase even when stories are published in the same instant
        at = self._clock.now().replace(microsecond=0)
        if self._items and at <= self._items[-1].at:
            at = self._items[-1].at + timedelta(seconds=1)
        item = Published(len(self._items) + 1, story, at)
        self._items.append(item)
        return item

    @property
    def items(self) -> list[Published]:
        return list(self._items)

    def article_url(self, number: int) -> str:
        return f"{self.url}/news/{number}"

    # --- pages ----------------------------------------------------------------------------------

    def _ticker(self) -> str:
        rows = []
        for item in reversed(self._items[-15:]):
            cls = ' class="urgent"' if item.story.title.startswith("عاجل") else ""
            rows.append(f'<li{cls}><a href="/news/{item.number}">{html.escape(item.story.title)}</a></li>')
        return (
            '<div class="ticker"><span class="ticker-title">أحدث الأخبار|</span><ul>'
            + "".join(rows)
            + "</ul></div>"
        )

    def _chrome(self, title: str, main: str) -> str:
        return (
            '<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head><body>"
            '<header><nav><ul><li><a href="/">الرئيسية</a></li><li><a href="/politics">سياسة</a></li>'
            '<li><a href="/economy">اقتصاد</a></li><li><a href="/sports">رياضة</a></li></ul></nav>'
            '<ul class="social"><li>facebook</li><li>twitter</li><li>youtube</li><li>rss</li></ul></header>'
            f"{self._ticker()}<main>{main}</main>"
            "<footer><p>جميع الحقوق محفوظة © الموقع الإخباري</p></footer></body></html>"
        )

    async def home(self, request: web.Request) -> web.Response:
        self.requests.append("/")
        cards = "".join(
            f'<article class="card"><a href="/news/{i.number}">{html.escape(i.story.title)}</a></article>'
            for i in reversed(self._items)
        )
        return web.Response(text=self._chrome("الرئيسية", cards), content_type="text/html")

    async def article(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        try:
            item = self._items[int(request.match_info["number"]) - 1]
        except (ValueError, IndexError):
            raise web.HTTPNotFound() from None
        story = item.story
        title = story.title.removeprefix("عاجل | ")
        related = "".join(
            f'<li><a href="/news/{i.number}">{html.escape(i.story.title)}</a></li>' for i in self._items[-4:]
        )
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in story.paragraphs)
        main = (
            f'<div class="date">{item.at.strftime("%d/%m/%Y - %H:%M")} بتوقيت غرينتش</div>'
            f'<h1 class="title">{html.escape(title)}</h1>'
            f'<div class="author">المصدر / {html.escape(story.author)}</div>'
            f'<div class="news-text"><p class="lead"><strong>{html.escape(story.lead)}</strong></p>{paragraphs}</div>'
            '<div class="share">شارك: <a href="#">فيسبوك</a> <a href="#">تويتر</a> <a href="#">واتساب</a></div>'
            f'<aside class="related"><h3>اقرأ أيضًا</h3><ul>{related}</ul></aside>'
        )
        return web.Response(text=self._chrome(title, main), content_type="text/html")

    def feed_xml(self) -> str:
        entries = []
        for item in reversed(self._items):
            link = self.article_url(item.number)
            entries.append(
                "<item>"
                f"<title>{html.escape(item.story.title)}</title>"
                f"<link>{html.escape(link)}</link>"
                f'<guid isPermaLink="false">sample-{item.number}</guid>'
                f"<category>{html.escape(item.story.category)}</category>"
                f"<description>{html.escape(item.story.lead)}</description>"
                f"<pubDate>{format_datetime(item.at, usegmt=True)}</pubDate>"
                "</item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>الموقع الإخباري</title><link>{self.url}/</link><description>أحدث الأخبار</description>"
            + "".join(entries)
            + "</channel></rss>"
        )

    async def feed(self, request: web.Request) -> web.Response:
        self.requests.append("/feed.xml")
        body = self.feed_xml().encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body, content_type="application/rss+xml", charset="utf-8", headers={"ETag": etag}
        )

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_get("/", self.home)
        app.router.add_get("/feed.xml", self.feed)
        app.router.add_get("/news/{number}", self.article)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.url = f"http://127.0.0.1:{bound_port(self._runner)}"
        if self._interval:
            self._task = asyncio.create_task(self._publish_every(self._interval))
        return self.url

    async def _publish_every(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.publish()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> SampleNewsroom:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def sources_toml(self, *, interval_seconds: int = 2, ticker: bool = False) -> str:
        """A sources file for this newsroom: its RSS feed, with topics; with ``ticker=True`` also its
        home-page HTML ticker as a second source (the same stories, so they dedup as near-duplicates)."""
        category_map = ", ".join(f'"{ar}" = "{slug}"' for ar, slug in CATEGORIES.items())
        text = SOURCES_TEMPLATE.format(url=self.url, interval=interval_seconds, category_map=category_map)
        if ticker:
            text += TICKER_TEMPLATE.format(url=self.url, interval=interval_seconds)
        return text


SOURCES_TEMPLATE = """
[[topics]]
slug = "politics"
name_ar = "سياسة"
name_en = "Politics"
keywords = ["سياسة", "حكومة", "برلمان", "politics"]

[[topics]]
slug = "economy"
name_ar = "اقتصاد"
name_en = "Economy"
keywords = ["اقتصاد", "جمارك", "فائدة", "economy"]

[[topics]]
slug = "sports"
name_ar = "رياضة"
name_en = "Sports"
keywords = ["رياضة", "منتخب", "مونديال", "sports"]

[[topics]]
slug = "world"
name_ar = "دولي"
name_en = "World"
keywords = ["دولي", "world"]

[[topics]]
slug = "health"
name_ar = "صحة"
name_en = "Health"
keywords = ["صحة", "health"]

[[sources]]
name = "sample-feed"
kind = "rss"
url = "{url}/feed.xml"
interval_seconds = {interval}
category_map = {{ {category_map} }}
"""

TICKER_TEMPLATE = """
[[sources]]
name = "sample-ticker"
kind = "html"
url = "{url}/"
interval_seconds = {interval}

[sources.html]
item = "div.ticker li"
title = "a"
link = "a"
urgent_class = "urgent"
body = "div.news-text"
"""
