"""A scriptable news site on 127.0.0.1 for polling tests: real HTTP, real sockets, nothing mocked.

Each path serves either a :class:`Page` (a body with a content type, honouring conditional GET by
ETag and/or Last-Modified) or a handler coroutine the test writes (5xx, 429, redirects, trickles…).
Every request is logged (path, headers, arrival time) and the number of requests in flight is
tracked, so tests can assert who was (not) contacted and how many at once.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.demo.newsroom import bound_port

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Page:
    """A document. ``etag``/``last_modified`` switch on conditional GET of that kind."""

    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: bool = True
    last_modified: str | None = None

    def set(self, body: bytes | str) -> None:
        self.body = body.encode("utf-8") if isinstance(body, str) else body

    @property
    def etag_value(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class LocalSite:
    pages: dict[str, Page | Handler] = field(default_factory=dict)
    log: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    url: str = ""
    _runner: web.AppRunner | None = None

    def page(self, path: str, body: bytes | str, **kw: object) -> Page:
        data = body.encode("utf-8") if isinstance(body, str) else body
        page = Page(data, **kw)  # type: ignore[arg-type]
        self.pages[path] = page
        return page

    def handle(self, path: str, handler: Handler) -> None:
        self.pages[path] = handler

    def hits(self, path: str) -> list[Seen]:
        return [s for s in self.log if s.path == path]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.log.append(Seen(request.path, dict(request.headers), asyncio.get_running_loop().time()))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            target = self.pages.get(request.path)
            if target is None:
                raise web.HTTPNotFound()
            if isinstance(target, Page):
                return _serve(target, request)
            return await target(request)
        finally:
            self.in_flight -= 1

    async def __aenter__(self) -> LocalSite:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{bound_port(self._runner)}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def _serve(page: Page, request: web.Request) -> web.Response:
    headers: dict[str, str] = {}
    if page.etag:
        headers["ETag"] = page.etag_value
        if request.headers.get("If-None-Match") == page.etag_value:
            return web.Response(status=304, headers=headers)
    if page.last_modified:
        headers["Last-Modified"] = page.last_modified
        if not page.etag and request.headers.get("If-Modified-Since") == page.last_modified:
            return web.Response(status=304, headers=headers)
    return web.Response(body=page.body, headers={**headers, "Content-Type": page.content_type})


def rss(*items: tuple[str, str, str], base: str = "") -> str:
    """An RSS 2.0 document from ``(guid, title, link)`` triples, newest first as given."""
    from html import escape

    entries = "".join(
        f'<item><guid isPermaLink="false">{escape(g)}</guid><title>{escape(t)}</title>'
        f"<link>{escape(base + link)}</link></item>"
        for g, t, link in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>{base}/</link><description>d</description>{entries}</channel></rss>"
    )


def ticker(*items: tuple[str, str, bool]) -> str:
    """A seed-shaped ticker page from ``(title, href, has_urgent_class)``, newest first as given."""
    from html import escape

    urgent_class = ' class="urgent"'
    rows = "".join(
        f'<li{urgent_class if urgent else ""}><a href="{escape(href)}">{escape(title)}</a></li>'
        for title, href, urgent in items
    )
    return (
        '<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>x</title></head>'
        '<body><nav><ul><li><a href="/">الرئيسية</a></li></ul></nav>'
        f'<div class="ticker"><span>أحدث الأخبار|</span><ul>{rows}</ul></div></body></html>'
    )
