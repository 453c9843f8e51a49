"""One call for handlers: fetch a page safely, extract it off the event loop.

Extraction is CPU work (tens of milliseconds per page, more on huge pages), so it runs in a worker
thread via :func:`asyncio.to_thread` and never stalls the bot's event loop. Selectors are looked up by
the *final* URL's host (after redirects), exact host first, then parent domains.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping

import aiohttp
from yarl import URL

from bot.articles.extract import ArticleSelectors, ExtractedArticle, extract
from bot.articles.fetch import Resolver, fetch_article_html


def selectors_for(url: str, table: Mapping[str, ArticleSelectors]) -> ArticleSelectors | None:
    """The selectors configured for ``url``'s host or its nearest parent domain, if any."""
    host = (URL(url).host or "").lower().rstrip(".")
    parts = host.split(".")
    for i in range(len(parts)):
        found = table.get(".".join(parts[i:]))
        if found is not None:
            return found
    return None


async def fetch_and_extract(
    url: str,
    *,
    allowed_hosts: Collection[str],
    session: aiohttp.ClientSession,
    timeout: float,  # noqa: ASYNC109 - the API the handlers call; applied via asyncio.timeout
    max_bytes: int,
    selectors: Mapping[str, ArticleSelectors] | None = None,
    resolver: Resolver | None = None,
    allow_private: bool = False,
    user_agent: str | None = None,
) -> tuple[ExtractedArticle, str]:
    """Fetch and extract ``url``; returns the article and the final URL.

    Raises :class:`~bot.exceptions.ArticleNotAllowed`, :class:`~bot.exceptions.FetchError` or
    :class:`~bot.exceptions.ExtractionError`.
    """
    html, final_url = await fetch_article_html(
        url,
        allowed_hosts=allowed_hosts,
        session=session,
        timeout=timeout,
        max_bytes=max_bytes,
        resolver=resolver,
        allow_private=allow_private,
        user_agent=user_agent,
    )
    chosen = selectors_for(final_url, selectors) if selectors else None
    article = await asyncio.to_thread(extract, html, url=final_url, selectors=chosen)
    return article, final_url
