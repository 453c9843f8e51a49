"""Retrieval: the only place that talks HTTP to news sources.

Design and invariants:

* One shared :class:`aiohttp.ClientSession` for every source (connection reuse, one DNS cache).
* Fetch is concurrent, politely: at most ``per_host_concurrency`` requests in flight per host, and a
  host that answered 429/503 is not contacted again before its ``Retry-After`` (or a default pause)
  has passed — the whole host backs off, not just the one source.
* Conditional GET: the caller passes the stored ``ETag`` / ``Last-Modified``; a 304 comes back as a
  :class:`~bot.domain.FetchedPage` with ``not_modified=True`` and an empty body.
* Bodies are read in chunks and abandoned past ``max_body_bytes``; the whole exchange has a timeout,
  so a slow trickle cannot hold a worker forever.
* **Outbound policy.** Every hop (the configured URL and each redirect) goes through
  :func:`bot.net.outbound.open_url` with the configured URL as the *origin*: link-local and metadata
  addresses are never fetched, a private/loopback address only when the configured URL itself is in
  that class, and the connection goes to the checked address. A refusal is an
  :class:`~bot.exceptions.OutboundRefused` (a :class:`~bot.exceptions.FetchError`) raised before any
  connection to the refused address.
* Every failure leaves as :class:`~bot.exceptions.FetchError` (or its subclass
  :class:`~bot.exceptions.SourceThrottled`) wrapped ``from`` the library error. Nothing here touches
  the database.
"""

from __future__ import annotations

import asyncio
import email.utils
from collections import defaultdict
from urllib.parse import urlsplit

import aiohttp

from bot.clock import Clock
from bot.config import PollingSettings
from bot.domain import FetchedPage
from bot.exceptions import FetchError, SourceThrottled
from bot.net.outbound import OutboundPolicy, open_url

DEFAULT_THROTTLE_SECONDS = 60.0
MAX_THROTTLE_SECONDS = 6 * 3600.0


def parse_retry_after(value: str | None, clock: Clock) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - clock.now()).total_seconds())


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int, source: str) -> bytes:
    """The body, read in chunks and abandoned past ``max_bytes`` (also used for article pages)."""
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise FetchError(source, f"body of {declared} bytes exceeds the {max_bytes}-byte cap")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(65536):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(source, f"body exceeds the {max_bytes}-byte cap")
        chunks.append(chunk)
    return b"".join(chunks)


class Fetcher:
    """Polite HTTP retrieval for sources. Safe to share between concurrent poll jobs."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: PollingSettings,
        clock: Clock,
        *,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self._session = session
        self.policy = policy or OutboundPolicy()
        self._settings = settings
        self._clock = clock
        self._host_limits: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host_concurrency)
        )
        self._host_paused_until: dict[str, float] = {}

    def host_paused_for(self, url: str) -> float:
        """Seconds this URL's host must still be left alone (0 when it may be contacted)."""
        host = urlsplit(url).hostname or ""
        return max(0.0, self._host_paused_until.get(host, 0.0) - self._clock.monotonic())

    async def fetch(
        self,
        url: str,
        *,
        source: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchedPage:
        name = source or url
        host = urlsplit(url).hostname or ""
        wait = self.host_paused_for(url)
        if wait > 0:
            raise SourceThrottled(name, f"host {host} asked us to back off; {wait:.0f}s left", wait)
        headers = {"User-Agent": self._settings.user_agent, "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        timeout = aiohttp.ClientTimeout(total=self._settings.timeout_seconds)
        fetched_at = self._clock.now()
        async with self._host_limits[host]:
            # another request to this host may have been throttled while this one queued for a slot
            wait = self.host_paused_for(url)
            if wait > 0:
                raise SourceThrottled(name, f"host {host} asked us to back off; {wait:.0f}s left", wait)
            try:
                async with (
                    asyncio.timeout(self._settings.timeout_seconds),
                    open_url(
                        self._session,
                        url,
                        policy=self.policy,
                        origin=url,
                        name=name,
                        headers=headers,
                        timeout=timeout,
                    ) as opened,
                ):
                    response = opened.response
                    if response.status in (429, 503):
                        retry = parse_retry_after(response.headers.get("Retry-After"), self._clock)
                        pause = min(
                            MAX_THROTTLE_SECONDS, retry if retry is not None else DEFAULT_THROTTLE_SECONDS
                        )
                        self._host_paused_until[host] = self._clock.monotonic() + pause
                        raise SourceThrottled(name, f"HTTP {response.status} from {host}", pause)
                    final_url = str(opened.url)
                    resp_headers = {k: v for k, v in response.headers.items()}
                    if response.status == 304:
                        return FetchedPage(
                            url=url,
                            final_url=final_url,
                            status=304,
                            body=b"",
                            headers=resp_headers,
                            fetched_at=fetched_at,
                            not_modified=True,
                            etag=etag,
                            last_modified=last_modified,
                        )
                    if response.status >= 400:
                        raise FetchError(name, f"HTTP {response.status} {response.reason or ''}".strip())
                    body = await read_capped(response, self._settings.max_body_bytes, name)
                    return FetchedPage(
                        url=url,
                        final_url=final_url,
                        status=response.status,
                        body=body,
                        headers=resp_headers,
                        fetched_at=fetched_at,
                        etag=response.headers.get("ETag"),
                        last_modified=response.headers.get("Last-Modified"),
                    )
            except FetchError:
                raise
            except TimeoutError as e:
                raise FetchError(name, f"timed out after {self._settings.timeout_seconds:g}s") from e
            except (aiohttp.ClientError, OSError, ValueError) as e:
                raise FetchError(name, f"{type(e).__name__}: {e}") from e
