"""Safe fetching of one article page for the "full article" button: no SSRF, no surprises.

A subscriber can send ``/article <URL>``, so the URL is hostile input. Rules, checked on **every hop**
(the first request and each redirect):

* **Scheme** ``http`` or ``https`` only; no user-info (``user:pass@``) in the URL.
* **Host allow-list**: the host must equal one of ``allowed_hosts`` (the configured sources' hosts) or
  be a **subdomain** of one (``www.``/``m.``/``amp.`` variants of a source are common). Compared
  lower-case, IDNA-encoded, without a trailing dot. A leading ``www.`` in the allow-list entry is *not*
  stripped, so list the registrable host (``example.com``) to allow all its subdomains. Any port.
* **Address check**: the host is resolved once per hop; *every* address must be public — not private,
  loopback, link-local, multicast, reserved, unspecified or otherwise non-global, for IPv4 and IPv6,
  including IPv4 embedded in IPv6 (mapped ``::ffff:a.b.c.d``, 6to4, Teredo, NAT64 — the NAT64 prefix
  ``64:ff9b::/96`` is refused outright, as Python's ``ipaddress`` does not count it global). Only an explicit
  ``allow_private=True`` (tests, the offline demo serving from 127.0.0.1) skips this; never a default.
  ``allow_private`` may instead be a *collection of addresses*: exactly those non-public addresses are
  accepted (a local source), every other one is still refused — also on later redirect hops.
* **Pinning**: the request goes to the checked IP literal (``Host`` header and TLS SNI/certificate
  hostname set to the real name via aiohttp's ``server_hostname``), so a second DNS answer — DNS
  rebinding — can never redirect the connection to another address.
* **Redirects** are followed by hand: at most :data:`MAX_REDIRECTS`, a repeated URL is a loop.
* **Limits**: one overall ``timeout`` (seconds) for all hops; ``max_bytes`` checked against
  ``Content-Length`` and while streaming; the final response must be 2xx with an HTML content type.

Errors: :class:`~bot.exceptions.ArticleNotAllowed` for policy refusals (never retried);
:class:`~bot.exceptions.FetchError` for network, status, size, type and time-out failures, raised
``from`` the underlying error.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Collection, Sequence

import aiohttp
from yarl import URL

from bot.domain import SourceKind
from bot.exceptions import ArticleNotAllowed, FetchError
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

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

Resolver = Callable[[str], Awaitable[Sequence[str]]]
"""Host name → IP address strings. Injected in tests; :func:`system_resolver` by default."""

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


async def system_resolver(host: str) -> list[str]:
    """Resolve ``host`` with the OS resolver (all families, TCP), unique addresses in order."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as e:
        raise FetchError(host, f"cannot resolve host: {e}") from e
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


def _normalise_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def host_allowed(host: str, allowed_hosts: Collection[str]) -> bool:
    """``host`` equals an allowed host or is a subdomain of one (``m.example.com`` of ``example.com``)."""
    name = _normalise_host(host)
    if not name:
        return False
    for entry in allowed_hosts:
        allowed = _normalise_host(entry)
        if allowed and (name == allowed or name.endswith("." + allowed)):
            return True
    return False


def is_forbidden_address(address: str) -> bool:
    """True for any address a server-side fetch must not reach (see the module docstring).

    Unparseable input is forbidden: refusing is the safe answer.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            candidates.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            candidates.append(ip.sixtofour)
        if ip.teredo is not None:
            candidates.extend(ip.teredo)
        if ip in _NAT64:
            candidates.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return any(
        a.is_private
        or a.is_loopback
        or a.is_link_local
        or a.is_multicast
        or a.is_reserved
        or a.is_unspecified
        or not a.is_global
        for a in candidates
    )


def _check_url(url: URL, allowed_hosts: Collection[str]) -> str:
    """Policy checks that need no network; returns the normalised host."""
    if url.scheme not in {"http", "https"}:
        raise ArticleNotAllowed(f"only http(s) URLs are fetched, not {url.scheme or 'relative'!r}")
    if url.user is not None or url.password is not None:
        raise ArticleNotAllowed("URLs with user information are not fetched")
    host = url.host
    if not host:
        raise ArticleNotAllowed("URL has no host")
    if not host_allowed(host, allowed_hosts):
        raise ArticleNotAllowed(f"{host} is not one of the configured sources")
    return _normalise_host(host)


PrivatePolicy = bool | Collection[str]
"""``allow_private``: refuse all non-public addresses (False), accept all (True), or accept these."""


def _private_ok(address: str, allow_private: PrivatePolicy) -> bool:
    if isinstance(allow_private, bool):
        return allow_private
    return address.split("%", 1)[0] in allow_private


async def _pinned_address(host: str, resolver: Resolver, allow_private: PrivatePolicy) -> str:
    """Resolve once and check every address; the first one is the one we connect to."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        addresses = list(await resolver(host))
    else:
        addresses = [str(literal)]
    if not addresses:
        raise FetchError(host, "host resolved to no address")
    if allow_private is not True:
        bad = [a for a in addresses if is_forbidden_address(a) and not _private_ok(a, allow_private)]
        if bad:
            raise ArticleNotAllowed(f"{host} resolves to a non-public address ({bad[0]})")
    return addresses[0]


def _content_type(response: aiohttp.ClientResponse) -> str:
    return response.headers.get("Content-Type", "")


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
    resolve = resolver or system_resolver
    try:
        current = URL(url.strip())
    except (ValueError, TypeError) as e:
        raise ArticleNotAllowed(f"not a URL: {url!r}") from e
    seen: set[str] = set()
    try:
        async with asyncio.timeout(timeout):
            for _hop in range(MAX_REDIRECTS + 1):
                key = str(current.with_fragment(None))
                if key in seen:
                    raise FetchError(url, f"redirect loop at {key}")
                seen.add(key)
                host = _check_url(current, allowed_hosts)
                address = await _pinned_address(host, resolve, allow_private)
                target = current.with_host(address).with_fragment(None)
                headers = {"Host": current.raw_authority.rsplit("@", 1)[-1], "Accept": "text/html,*/*;q=0.1"}
                if user_agent:
                    headers["User-Agent"] = user_agent
                async with session.get(
                    target,
                    headers=headers,
                    allow_redirects=False,
                    server_hostname=host if current.scheme == "https" else None,
                ) as response:
                    if response.status in _REDIRECTS:
                        location = response.headers.get("Location")
                        if not location:
                            raise FetchError(url, f"redirect {response.status} without Location")
                        current = current.join(URL(location))
                        continue
                    if not 200 <= response.status < 300:
                        raise FetchError(url, f"HTTP {response.status} from {current.host}")
                    content_type = _content_type(response)
                    mime = content_type.split(";", 1)[0].strip().lower()
                    if mime not in _HTML_TYPES:
                        raise FetchError(url, f"not an HTML page (content type {mime or 'missing'!r})")
                    body = await read_capped(response, max_bytes, url)
                return decode_body(body, content_type, SourceKind.HTML)[0], str(current.with_fragment(None))
            raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")
    except TimeoutError as e:
        raise FetchError(url, f"timed out after {timeout:g} s") from e
    except (aiohttp.ClientError, OSError, ValueError) as e:
        raise FetchError(url, f"{type(e).__name__}: {e}") from e
