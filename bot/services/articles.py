"""Full article text on demand.

Flow: article id (or a known URL) → cached page HTML or a *safe* fetch (only hosts of configured
sources; private addresses refused unless the deployment explicitly allows them, as the offline demo
does) → extraction (trafilatura plus per-source selectors) → Telegram-sized HTML pages.

The fetched HTML is cached on the article row (``body_html``), with the extracted text in
``body_text``; extraction is re-run per request (in a worker thread: it is CPU work) so improvements
to the extractor apply to cached articles too.

``/article <URL>`` of a page that is not stored is fetched under the same rules (a configured source's
host, public addresses only) and rendered without caching — a user cannot make Aajel store arbitrary
pages; such pages have no id, so all their pages are returned at once (:data:`MAX_UNSTORED_PAGES`).

:func:`recent_headlines` serves ``/latest``: first sightings of stories (near-duplicates left out),
newest first, optionally limited to some topics.

Transactions are short on purpose: the reader opens its own sessions — one to read the article, none
while fetching over the network, one to store the cache — so a slow source never holds a database
lock (SQLite takes the write lock for every transaction) while other work waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.articles.extract import ArticleSelectors, extract
from bot.articles.fetch import PrivatePolicy, Resolver, fetch_article_html
from bot.articles.render import render_article
from bot.clock import Clock
from bot.config import ArticleSettings
from bot.db.models import Article, Source, article_topics
from bot.domain import Urgency
from bot.exceptions import NotFound
from bot.news.dedup import canonical_url
from bot.sources.spec import SourceSpec

MAX_UNSTORED_PAGES = 5
"""Pages sent for a fetched-but-not-stored URL (no id, so no page buttons); the link covers the rest."""


@dataclass(frozen=True, slots=True)
class ArticlePages:
    article_id: int | None  # None: a page fetched for /article <URL> and not stored
    url: str | None
    pages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Headline:
    article_id: int
    headline: str
    urgency: Urgency
    source_name: str | None
    detected_at: datetime
    url: str | None


def looks_like_url(ref: str) -> bool:
    return ref.strip().lower().startswith(("http://", "https://"))


async def recent_headlines(
    session: AsyncSession, *, topic_ids: Collection[int] | None = None, limit: int = 8
) -> list[Headline]:
    """The newest first sightings of stories, of any of ``topic_ids`` (all topics when None)."""
    query = (
        select(Article.id, Article.headline, Article.urgency, Source.name, Article.detected_at, Article.url)
        .join(Source, Source.id == Article.source_id)
        .where(Article.story_id.is_(None))
        .order_by(Article.detected_at.desc(), Article.id.desc())
        .limit(limit)
    )
    if topic_ids is not None:
        query = query.where(
            Article.id.in_(
                select(article_topics.c.article_id).where(article_topics.c.topic_id.in_(list(topic_ids)))
            )
        )
    rows = (await session.execute(query)).all()
    return [Headline(r[0], r[1], Urgency(r[2]), r[3], r[4], r[5]) for r in rows]


class ArticleReader:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        http: aiohttp.ClientSession,
        settings: ArticleSettings,
        clock: Clock,
        *,
        resolver: Resolver | None = None,
        allow_private: PrivatePolicy | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._http = http
        self._settings = settings
        self._clock = clock
        # Injection points (tests): the DNS resolver, and which non-public addresses may be reached.
        self.resolver = resolver
        self.allow_private: PrivatePolicy = (
            settings.allow_private_addresses if allow_private is None else allow_private
        )

    async def find(self, ref: str) -> int:
        """Resolve ``/article`` input (an id, or the URL of a stored article) to an article id."""
        ref = ref.strip()
        async with self._sessionmaker() as session:
            if ref.isascii() and ref.isdigit():  # '١' is not article 1
                if not 0 < int(ref) < 2**63 or await session.get(Article, int(ref)) is None:
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

    async def open(self, ref: str, lang: str) -> ArticlePages:
        """``/article`` input → pages: a stored article by id or URL, else a configured source's URL.

        Raises :class:`NotFound` (no such id; not a URL), :class:`ArticleNotAllowed` (another host, or a
        non-public address on any hop) or another :class:`ArticleError`/:class:`FetchError`.
        """
        ref = ref.strip()
        try:
            article_id = await self.find(ref)
        except NotFound:
            if not looks_like_url(ref):
                raise
            return await self.pages_for_url(ref, lang)
        return await self.pages(article_id, lang)

    async def pages_for_url(self, url: str, lang: str) -> ArticlePages:
        """Fetch, extract and render a page that is not stored (nothing is cached; see module doc)."""
        async with self._sessionmaker() as session:
            sources = (await session.execute(select(Source.url, Source.name, Source.config))).all()
        hosts = {h for h in (urlsplit(u).hostname for u, _n, _c in sources) if h}
        html, final = await self._fetch(url, hosts)
        host = urlsplit(final).hostname or ""
        source = next((s for s in sources if urlsplit(s[0]).hostname == host), None)
        selectors = _selectors(source[2] if source is not None else None)
        extracted = await asyncio.to_thread(extract, html, url=final, selectors=selectors)
        messages = render_article(extracted, source_name=source[1] if source else "", url=final, lang=lang)
        return ArticlePages(None, final, tuple(messages[:MAX_UNSTORED_PAGES]))

    async def _fetch(self, url: str, hosts: set[str]) -> tuple[str, str]:
        return await fetch_article_html(
            url,
            allowed_hosts=hosts,
            session=self._http,
            timeout=self._settings.timeout_seconds,
            max_bytes=self._settings.max_bytes,
            resolver=self.resolver,
            allow_private=self.allow_private,
        )

    async def digest_link(self, alert_id: int, index: int) -> str | None:
        """The link behind a digest's "full article" button (see :mod:`bot.services.digest`)."""
        from bot.services.digest import digest_item_url  # digest → alerts; keep this module light

        if not (0 < alert_id < 2**31 and 0 <= index < 1000):
            return None
        async with self._sessionmaker() as session:
            return await digest_item_url(session, alert_id, index)

    async def link(self, article_id: int) -> str | None:
        if not 0 < article_id < 2**63:
            return None
        async with self._sessionmaker() as session:
            url: str | None = await session.scalar(select(Article.url).where(Article.id == article_id))
            return url

    async def pages(self, article_id: int, lang: str) -> ArticlePages:
        if not 0 < article_id < 2**63:  # ids come from buttons, which can be forged
            raise NotFound(f"article {article_id}")
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
            html, _final = await self._fetch(url, hosts)
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
