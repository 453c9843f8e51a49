"""Full article text on demand.

Flow: article id (or a known URL) → cached page HTML or a *safe* fetch (only hosts of configured
sources; private addresses refused unless the deployment explicitly allows them, as the offline demo
does) → extraction (trafilatura plus per-source selectors) → Telegram-sized HTML pages.

The fetched HTML is cached on the article row (``body_html``), with the extracted text in
``body_text``; extraction is re-run per request (in a worker thread: it is CPU work) so improvements
to the extractor apply to cached articles too.

Transactions are short on purpose: the reader opens its own sessions — one to read the article, none
while fetching over the network, one to store the cache — so a slow source never holds a database
lock (SQLite takes the write lock for every transaction) while other work waits.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.articles.extract import ArticleSelectors, extract
from bot.articles.fetch import fetch_article_html
from bot.articles.render import render_article
from bot.clock import Clock
from bot.config import ArticleSettings
from bot.db.models import Article, Source
from bot.exceptions import NotFound
from bot.news.dedup import canonical_url
from bot.sources.spec import SourceSpec


@dataclass(frozen=True, slots=True)
class ArticlePages:
    article_id: int
    url: str | None
    pages: tuple[str, ...]


class ArticleReader:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        http: aiohttp.ClientSession,
        settings: ArticleSettings,
        clock: Clock,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._http = http
        self._settings = settings
        self._clock = clock

    async def find(self, ref: str) -> int:
        """Resolve ``/article`` input (an id, or the URL of a stored article) to an article id."""
        ref = ref.strip()
        async with self._sessionmaker() as session:
            if ref.isdigit():
                if await session.get(Article, int(ref)) is None:
                    raise NotFound(f"article {ref}")
                return int(ref)
            found = await session.scalar(
                select(Article.id)
                .where(or_(Article.canonical_url == canonical_url(ref), Article.url == ref))
                .limit(1)
            )
        if found is None:
            raise NotFound(f"article {ref}")
        return int(found)

    async def link(self, article_id: int) -> str | None:
        async with self._sessionmaker() as session:
            url: str | None = await session.scalar(select(Article.url).where(Article.id == article_id))
            return url

    async def pages(self, article_id: int, lang: str) -> ArticlePages:
        async with self._sessionmaker() as session:
            article = await session.get(Article, article_id)
            if article is None:
                raise NotFound(f"article {article_id}")
            source = await session.get(Source, article.source_id) if article.source_id is not None else None
            url, html = article.url, article.body_html
            source_name = source.name if source is not None else None
            selectors = _selectors(source.config if source is not None else None)
            hosts = {
                h for h in (urlsplit(u).hostname for u in await session.scalars(select(Source.url))) if h
            }
        cached = html is not None
        if html is None:
            if not url:
                raise NotFound(f"article {article_id} has no link")
            html, _final = await fetch_article_html(
                url,
                allowed_hosts=hosts,
                session=self._http,
                timeout=self._settings.timeout_seconds,
                max_bytes=self._settings.max_bytes,
                allow_private=self._settings.allow_private_addresses,
            )
        extracted = await asyncio.to_thread(extract, html, url=url, selectors=selectors)
        if not cached:
            async with self._sessionmaker() as session, session.begin():
                row = await session.get(Article, article_id)
                if row is not None:
                    row.body_html = html
                    row.body_text = extracted.text
                    row.body_fetched_at = self._clock.now()
        messages = render_article(extracted, source_name=source_name or "", url=url, lang=lang)
        return ArticlePages(article_id, url, tuple(messages))


def _selectors(config: dict[str, Any] | None) -> ArticleSelectors | None:
    """The article-body selector configured for the source (``[sources.html] body = "…"``), if any."""
    if not config:
        return None
    spec = SourceSpec.from_json(config)
    if spec.html is not None and spec.html.body:
        return ArticleSelectors(body=spec.html.body)
    return None
