"""Safe fetching of one article page for the "full article" button: no SSRF, no surprises.

A subscriber can send ``/article <URL>``, so the URL is hostile input. Every hop (the first request
and each redirect) goes through the one outbound policy, :mod:`bot.net.outbound` (scheme, user-info,
never-fetched link-local/metadata addresses, address classes, pinning to the checked address, manual
redirects) with **no origin**: only public addresses, unless the explicit ``allow_private`` override
(tests, the offline demo, a LAN deployment naming its addresses) says otherwise. On top of that:

* **Host allow-list**: the host must equal one of ``allowed_hosts`` (the configured sources' hosts) or
  be a **subdomain** of one (``www.``/``m.``/``amp.`` variants of a source are common). Compared
  lower-case, IDNA-encoded, without a trailing dot. A leading ``www.`` in the allow-list entry is *not*
  stripped, so list the registrable host (``example.com``) to allow all its subdomains. Any port.
* **Limits**: one overall ``timeout`` (seconds) for all hops; ``max_bytes`` checked against
  ``Content-Length`` and while streaming; the final response must be 2xx with an HTML content type.

Errors: :class:`~bot.exceptions.ArticleNotAllowed` for policy refusals (never retried);
:class:`~bot.exceptions.FetchError` for network, status, size, type and time-out failures, raised
``from`` the underlying error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

import aiohttp
from yarl import URL

from bot.domain import SourceKind
from bot.exceptions import ArticleNotAllowed, FetchError, OutboundRefused
from bot.net.outbound import (
    MAX_REDIRECTS,
    AddressClass,
    OutboundPolicy,
    PrivatePolicy,
    Resolver,
    address_class,
    normalise_host,
    open_url,
    system_resolver,
)
from bot.sources.encoding import decode_body
from bot.sources.fetch import read_capped

__all__ = [
    "MAX_REDIRECTS",
    "PrivatePolicy",
    "Resolver",
    "fetch_article_html",
    "host_allowed",
    "is_forbidden_address",
    "system_resolver",
]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def host_allowed(host: str, allowed_hosts: Collection[str]) -> bool:
    """``host`` equals an allowed host or is a subdomain of one (``m.example.com`` of ``example.com``)."""
    name = normalise_host(host)
    if not name:
        return False
    for entry in allowed_hosts:
        allowed = normalise_host(entry)
        if allowed and (name == allowed or name.endswith("." + allowed)):
            return True
    return False


def is_forbidden_address(address: str) -> bool:
    """True for any address a fetch from hostile input must not reach (anything not PUBLIC)."""
    return address_class(address) is not AddressClass.PUBLIC


async def _pinned_address(host: str, resolver: Resolver, allow_private: PrivatePolicy) -> str:
    """The address a hop to ``host`` would connect to (for tests of the policy without a request)."""
    policy = OutboundPolicy(resolver=resolver, allow_private=allow_private)
    try:
        return (await policy.addresses(host, policy.permitted(None), host))[0]
    except OutboundRefused as e:
        raise ArticleNotAllowed(e.message) from e


async def fetch_article_html(
    url: str,
    *,
    allowed_hosts: Collection[str],
    session: aiohttp.ClientSession,
    timeout: float,  # noqa: ASYNC109 - the API the handlers call; applied via asyncio.timeout
    max_bytes: int,
    resolver: Resolver | None = None,
    allow_private: PrivatePolicy = False,
    user_agent: str | None = None,
) -> tuple[str, str]:
    """Fetch ``url`` under the rules above; return (decoded HTML, final URL after redirects)."""
    policy = OutboundPolicy(resolver=resolver, allow_private=allow_private)

    def check_host(hop: URL) -> None:
        if not host_allowed(hop.host or "", allowed_hosts):
            raise ArticleNotAllowed(f"{hop.host} is not one of the configured sources")

    headers = {"Accept": "text/html,*/*;q=0.1"}
    if user_agent:
        headers["User-Agent"] = user_agent
    try:
        async with (
            asyncio.timeout(timeout),
            open_url(
                session, url, policy=policy, origin=None, name=url, headers=headers, check_host=check_host
            ) as opened,
        ):
            response = opened.response
            if not 200 <= response.status < 300:
                raise FetchError(url, f"HTTP {response.status} from {opened.url.host}")
            content_type = response.headers.get("Content-Type", "")
            mime = content_type.split(";", 1)[0].strip().lower()
            if mime not in _HTML_TYPES:
                raise FetchError(url, f"not an HTML page (content type {mime or 'missing'!r})")
            body = await read_capped(response, max_bytes, url)
            return decode_body(body, content_type, SourceKind.HTML)[0], str(opened.url)
    except OutboundRefused as e:
        raise ArticleNotAllowed(e.message) from e
    except TimeoutError as e:
        raise FetchError(url, f"timed out after {timeout:g} s") from e
    except (aiohttp.ClientError, OSError, ValueError) as e:
        raise FetchError(url, f"{type(e).__name__}: {e}") from e
