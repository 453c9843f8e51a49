"""The one outbound policy: every HTTP fetch Aajel makes (sources, article pages, anything later).

Why one module: the source poller and the article fetcher used to have different rules, and the
weaker one (aiohttp's own redirect following) let a hostile source send the poller to the cloud
metadata service. Now both go through :func:`open_url`, which enforces, on **every hop** (the first
request and each redirect), *before* any connection is attempted:

* **Scheme** ``http``/``https`` only; no user information (``user:pass@``) in the URL.
* **Never fetched**, whatever else is configured: link-local addresses (``169.254.0.0/16``,
  ``fe80::/10``, also when embedded in IPv6 as mapped/6to4/Teredo/NAT64), the known metadata
  addresses (``fd00:ec2::254``, ``100.100.100.200``) and names (``metadata.google.internal`` …),
  unspecified (``0.0.0.0``, ``::``), multicast, reserved and unparseable addresses.
* **Address classes.** Every address the host resolves to is classified PUBLIC, PRIVATE or LOOPBACK.
  PUBLIC is always allowed. PRIVATE/LOOPBACK are allowed only when the *origin* — the configured URL
  that started the fetch — is itself in that class: an intranet feed stays possible, a public source
  can never lead into a private network or onto the bot's own host. The origin's class is decided
  **without DNS** (:func:`host_class`): an IP literal by its address, ``localhost`` as LOOPBACK,
  single-label and intranet-suffix names (``.local``, ``.internal``, ``.lan``, ``.corp``,
  ``.home.arpa`` …) as PRIVATE, every other name PUBLIC. So a compromised public source cannot
  make itself "private" by changing its DNS answer (rebinding). Article pages pass no origin (a
  subscriber's URL is hostile input): public only.
* **Explicit override** ``allow_private``: ``True`` admits PRIVATE and LOOPBACK everywhere (tests and
  the offline demo); a collection admits exactly those addresses. Never the never-fetched ones.
* **Pinning.** The host is resolved once per hop and the request goes to the checked IP literal, with
  the real ``Host`` header and TLS SNI/certificate name (aiohttp's ``server_hostname``): a second DNS
  answer can never redirect the connection. Checked addresses are tried in order until one connects.
* **Redirects** are followed by hand, at most ``max_redirects``; a repeated URL is a loop.

The resolver is injected (:data:`Resolver`), so tests map names to forbidden addresses and prove that
nothing was connected. Errors: :class:`~bot.exceptions.OutboundRefused` for policy refusals,
:class:`~bot.exceptions.FetchError` for a redirect without ``Location``, loops and too many hops;
aiohttp errors propagate to the caller, which wraps them.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from bot.exceptions import FetchError, OutboundRefused

__all__ = [
    "MAX_REDIRECTS",
    "METADATA_NAMES",
    "AddressClass",
    "OutboundPolicy",
    "PrivatePolicy",
    "Resolver",
    "address_class",
    "host_class",
    "normalise_host",
    "open_url",
    "system_resolver",
]

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})

Resolver = Callable[[str], Awaitable[Sequence[str]]]
"""Host name → IP address strings. Injected in tests; :func:`system_resolver` by default."""

PrivatePolicy = bool | Collection[str]
"""``allow_private``: no override (False), admit every private/loopback address (True), or these."""

METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.platformequinix.com",
    }
)
"""Cloud metadata service names: never fetched, whatever they resolve to."""

_METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),
    }
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_INTRANET_SUFFIXES = (
    ".local",
    ".internal",
    ".intranet",
    ".lan",
    ".home",
    ".corp",
    ".private",
    ".home.arpa",
)


class AddressClass(enum.IntEnum):
    """Ordered by danger: an address with embedded addresses takes the worst class among them."""

    PUBLIC = 0
    PRIVATE = 1
    LOOPBACK = 2
    FORBIDDEN = 3


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


def normalise_host(host: str) -> str:
    """Lower-case, IDNA-encoded, no trailing dot, no IPv6 brackets."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _one_class(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> AddressClass:
    if (
        ip in _METADATA_ADDRESSES
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.IPv4Network("0.0.0.0/8"))
    ):
        return AddressClass.FORBIDDEN
    if ip.is_loopback:  # before is_reserved: Python counts ::1 as reserved (::/8)
        return AddressClass.LOOPBACK
    if ip.is_reserved:
        return AddressClass.FORBIDDEN
    if ip.is_private or not ip.is_global:
        return AddressClass.PRIVATE
    return AddressClass.PUBLIC


def address_class(address: str) -> AddressClass:
    """The class of one IP address string; unparseable (or scoped link-local) input is FORBIDDEN."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return AddressClass.FORBIDDEN
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is that IPv4 address (::ffff:0:0/96 is "reserved")
            return _one_class(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            candidates.append(ip.sixtofour)
        if ip.teredo is not None:
            candidates.extend(ip.teredo)
        if ip in _NAT64:
            candidates.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return max(_one_class(a) for a in candidates)


def host_class(host: str) -> AddressClass:
    """The class of a URL's host *without DNS*: literal by address, names by their shape."""
    name = normalise_host(host)
    if not name:
        return AddressClass.FORBIDDEN
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        pass
    else:
        return address_class(name)
    if name in METADATA_NAMES:
        return AddressClass.FORBIDDEN
    if name == "localhost" or name.endswith(".localhost"):
        return AddressClass.LOOPBACK
    if "." not in name or name.endswith(_INTRANET_SUFFIXES):
        return AddressClass.PRIVATE
    return AddressClass.PUBLIC


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """What may be connected to. Share one per process; inject ``resolver`` in tests."""

    resolver: Resolver | None = None
    allow_private: PrivatePolicy = False
    max_redirects: int = MAX_REDIRECTS

    def permitted(self, origin: str | None) -> frozenset[AddressClass]:
        """Classes a fetch started from ``origin`` (a configured URL; None: hostile input) may reach."""
        classes = {AddressClass.PUBLIC}
        if self.allow_private is True:
            classes |= {AddressClass.PRIVATE, AddressClass.LOOPBACK}
        if origin is not None:
            try:
                host = URL(origin).host or ""
            except (ValueError, TypeError):
                host = ""  # an unparseable origin grants nothing
            cls = host_class(host)
            if cls in (AddressClass.PRIVATE, AddressClass.LOOPBACK):
                classes.add(cls)
        return frozenset(classes)

    def _address_ok(self, address: str, cls: AddressClass, permitted: frozenset[AddressClass]) -> bool:
        if cls is AddressClass.FORBIDDEN:
            return False
        if cls in permitted:
            return True
        return not isinstance(self.allow_private, bool) and address.split("%", 1)[0] in self.allow_private

    def check_url(self, url: URL, name: str) -> str:
        """Checks that need no network; returns the normalised host."""
        if url.scheme not in {"http", "https"}:
            raise OutboundRefused(name, f"only http(s) URLs are fetched, not {url.scheme or 'relative'!r}")
        if url.user is not None or url.password is not None:
            raise OutboundRefused(name, "URLs with user information are not fetched")
        host = normalise_host(url.host or "")
        if not host:
            raise OutboundRefused(name, "URL has no host")
        if host in METADATA_NAMES:
            raise OutboundRefused(name, f"{host} is a cloud metadata name (never fetched)")
        if host_class(host) is AddressClass.FORBIDDEN:  # a literal: no allow-list may even be asked
            raise OutboundRefused(name, f"{host} is a never-fetched (link-local/metadata) address: refused")
        return host

    async def addresses(self, host: str, permitted: frozenset[AddressClass], name: str) -> list[str]:
        """Resolve ``host`` once and check *every* address; all must pass (one bad answer refuses)."""
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            addresses = list(await (self.resolver or system_resolver)(host))
        else:
            addresses = [str(literal)]
        if not addresses:
            raise FetchError(name, f"{host} resolved to no address")
        for address in addresses:
            cls = address_class(address)
            if not self._address_ok(address, cls, permitted):
                what = (
                    "a never-fetched (link-local/metadata)"
                    if cls is AddressClass.FORBIDDEN
                    else "a non-public"
                )
                raise OutboundRefused(name, f"{host} resolves to {what} address ({address}): refused")
        return addresses


@dataclass(frozen=True, slots=True)
class Opened:
    """The final (non-redirect) response and the real URL it came from (not the pinned literal)."""

    response: aiohttp.ClientResponse
    url: URL


async def _connect(
    session: aiohttp.ClientSession,
    url: URL,
    host: str,
    addresses: Sequence[str],
    headers: Mapping[str, str],
    request_options: Mapping[str, Any],
) -> aiohttp.ClientResponse:
    """One request to the first checked address that accepts a connection."""
    last: aiohttp.ClientConnectorError | None = None
    for address in addresses:
        target = url.with_host(address).with_fragment(None)
        hop_headers = {**headers, "Host": url.raw_authority.rsplit("@", 1)[-1]}
        try:
            return await session.get(
                target,
                headers=hop_headers,
                allow_redirects=False,
                server_hostname=host if url.scheme == "https" else None,
                **request_options,
            )
        except aiohttp.ClientConnectorError as e:
            last = e
    assert last is not None  # addresses is never empty (checked by OutboundPolicy.addresses)
    raise last


@asynccontextmanager
async def open_url(
    session: aiohttp.ClientSession,
    url: str | URL,
    *,
    policy: OutboundPolicy,
    origin: str | None,
    name: str,
    headers: Mapping[str, str] | None = None,
    check_host: Callable[[URL], None] | None = None,
    **request_options: Any,
) -> AsyncIterator[Opened]:
    """GET ``url`` under the policy, following redirects by hand; yields the final response.

    ``origin`` is the configured URL whose class may be reached (None: public only); ``check_host``
    is an extra per-hop rule (the article allow-list); ``request_options`` go to ``session.get``
    (e.g. ``timeout``). The response is released when the block exits.
    """
    try:
        current = URL(str(url).strip()) if isinstance(url, str) else url
    except (ValueError, TypeError) as e:
        raise OutboundRefused(name, f"not a URL: {str(url)!r}") from e
    permitted = policy.permitted(origin)
    seen: set[str] = set()
    for _hop in range(policy.max_redirects + 1):
        key = str(current.with_fragment(None))
        if key in seen:
            raise FetchError(name, f"redirect loop at {key}")
        seen.add(key)
        host = policy.check_url(current, name)
        if check_host is not None:
            check_host(current)
        addresses = await policy.addresses(host, permitted, name)
        response = await _connect(session, current, host, addresses, headers or {}, request_options)
        try:
            if response.status in REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(name, f"redirect {response.status} without Location")
                try:
                    current = current.join(URL(location))
                except ValueError as e:
                    raise FetchError(name, f"redirect to an invalid URL {location!r}") from e
                continue
            yield Opened(response, current.with_fragment(None))
            return
        finally:
            response.release()
    raise FetchError(name, f"more than {policy.max_redirects} redirects")
