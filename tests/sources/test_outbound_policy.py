"""The one outbound policy (bot.net.outbound) as the source poller uses it.

A real aiohttp server on 127.0.0.1 plays the source; an injected resolver maps names to forbidden
addresses; every request aiohttp starts is recorded (a TraceConfig), so each refusal is proven to have
happened *before* any connection — the only address ever contacted is 127.0.0.1.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.clock import FrozenClock
from bot.config import PollingSettings
from bot.exceptions import FetchError, OutboundRefused
from bot.net.outbound import AddressClass, OutboundPolicy, address_class, host_class
from bot.sources.fetch import Fetcher

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


@dataclass
class Site:
    server: TestServer
    hits: list[str] = field(default_factory=list)
    host_headers: list[str] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.port}{path}"


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    state: Site

    async def feed(request: web.Request) -> web.Response:
        state.hits.append(request.path_qs)
        state.host_headers.append(request.headers.get("Host", ""))
        return web.Response(body=FEED, content_type="application/rss+xml")

    async def redirect(request: web.Request) -> web.Response:
        state.hits.append(request.path_qs)
        raise web.HTTPFound(request.query["to"])

    async def loop(request: web.Request) -> web.Response:
        state.hits.append(request.path_qs)
        raise web.HTTPFound("/loop")

    async def chain(request: web.Request) -> web.Response:
        state.hits.append(request.path_qs)
        raise web.HTTPFound(f"/chain/{int(request.match_info['n']) + 1}")

    app = web.Application()
    app.router.add_get("/loop", loop)
    app.router.add_get("/chain/{n}", chain)
    app.router.add_get("/feed", feed)
    app.router.add_get("/redirect", redirect)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state = Site(server)
    try:
        yield state
    finally:
        await server.close()


@dataclass
class Recorder:
    """Every request aiohttp starts (the pinned URL, so its host is the address connected to)."""

    started: list[str] = field(default_factory=list)

    def trace(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()

        async def on_start(
            session: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestStartParams
        ) -> None:
            self.started.append(params.url.host or "")

        config.on_request_start.append(on_start)
        return config


@pytest.fixture
async def recorded() -> AsyncIterator[tuple[aiohttp.ClientSession, Recorder]]:
    recorder = Recorder()
    async with aiohttp.ClientSession(trace_configs=[recorder.trace()]) as session:
        yield session, recorder


def resolver_for(table: dict[str, list[str]], calls: list[str] | None = None):  # type: ignore[no-untyped-def]
    async def resolve(host: str) -> Sequence[str]:
        if calls is not None:
            calls.append(host)
        return table[host]

    return resolve


def fetcher(session: aiohttp.ClientSession, policy: OutboundPolicy) -> Fetcher:
    return Fetcher(session, PollingSettings(), FrozenClock(datetime(2026, 1, 1, tzinfo=UTC)), policy=policy)


FORBIDDEN_TARGETS = {
    "metadata.test": ["169.254.169.254"],
    "linklocal6.test": ["fe80::1"],
    "mapped.test": ["::ffff:169.254.169.254"],
    "mixed.test": ["127.0.0.1", "169.254.10.10"],  # one bad answer is enough to refuse
    "aws6.test": ["fd00:ec2::254"],
}


@pytest.mark.parametrize("name", sorted(FORBIDDEN_TARGETS))
async def test_a_redirect_to_a_name_resolving_to_link_local_or_metadata_is_never_connected(
    site: Site, recorded: tuple[aiohttp.ClientSession, Recorder], name: str
) -> None:
    session, recorder = recorded
    # allow_private=True is the most permissive setting there is: link-local is refused even so.
    policy = OutboundPolicy(resolver=resolver_for(FORBIDDEN_TARGETS), allow_private=True)
    start = site.url(f"/redirect?to=http://{name}/latest/meta-data/")
    with pytest.raises(OutboundRefused, match="never-fetched"):
        await fetcher(session, policy).fetch(start, source="hostile")
    assert recorder.started == ["127.0.0.1"]  # the source itself, nothing else
    assert site.hits == [f"/redirect?to=http://{name}/latest/meta-data/"]


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://0.0.0.0/",
    ],
)
async def test_literal_and_named_metadata_targets_are_refused_without_resolving(
    site: Site, recorded: tuple[aiohttp.ClientSession, Recorder], target: str
) -> None:
    session, recorder = recorded
    calls: list[str] = []
    policy = OutboundPolicy(resolver=resolver_for({}, calls), allow_private=True)
    with pytest.raises(OutboundRefused):
        await fetcher(session, policy).fetch(site.url(f"/redirect?to={target}"), source="hostile")
    assert calls == []
    assert recorder.started == ["127.0.0.1"]


async def test_a_public_source_can_never_lead_into_a_private_network_or_loopback(
    site: Site, recorded: tuple[aiohttp.ClientSession, Recorder]
) -> None:
    session, recorder = recorded
    table = {"news.example": ["127.0.0.1"], "intranet.example": ["10.0.0.5"]}
    # news.example is a public name; the override admits exactly our test server's address for it
    policy = OutboundPolicy(resolver=resolver_for(table), allow_private={"127.0.0.1"})
    origin_host = "news.example"
    for target in (
        f"http://intranet.example:{site.server.port}/feed",
        f"http://127.0.0.2:{site.server.port}/feed",
        f"http://192.168.1.1:{site.server.port}/feed",
    ):
        with pytest.raises(OutboundRefused, match="non-public"):
            await fetcher(session, policy).fetch(site.url(f"/redirect?to={target}", host=origin_host))
    assert recorder.started == ["127.0.0.1"] * 3


async def test_a_loopback_source_may_redirect_within_loopback_but_not_to_a_private_network(
    site: Site, recorded: tuple[aiohttp.ClientSession, Recorder]
) -> None:
    session, recorder = recorded
    policy = OutboundPolicy(resolver=resolver_for({"lan.example": ["10.0.0.5"]}))
    page = await fetcher(session, policy).fetch(site.url(f"/redirect?to={site.url('/feed')}"))
    assert page.body == FEED and page.final_url == site.url("/feed")
    with pytest.raises(OutboundRefused, match="non-public"):
        await fetcher(session, policy).fetch(site.url("/redirect?to=http://lan.example/feed"))
    assert recorder.started == ["127.0.0.1"] * 3


async def test_a_public_name_whose_dns_turns_private_is_refused_before_connecting(
    recorded: tuple[aiohttp.ClientSession, Recorder],
) -> None:
    session, recorder = recorded
    policy = OutboundPolicy(resolver=resolver_for({"news.example": ["127.0.0.1"]}))
    with pytest.raises(OutboundRefused, match="non-public"):
        await fetcher(session, policy).fetch("http://news.example/feed")
    assert recorder.started == []


async def test_the_connection_goes_to_the_checked_address_with_the_real_host_header(
    site: Site, recorded: tuple[aiohttp.ClientSession, Recorder]
) -> None:
    session, recorder = recorded
    calls: list[str] = []
    policy = OutboundPolicy(resolver=resolver_for({"feeds.localhost": ["127.0.0.1"]}, calls))
    # "feeds.localhost" is a loopback-class name the system resolver is never asked about
    page = await fetcher(session, policy).fetch(site.url("/feed", host="feeds.localhost"))
    assert page.body == FEED
    assert page.final_url == site.url("/feed", host="feeds.localhost")
    assert calls == ["feeds.localhost"]
    assert recorder.started == ["127.0.0.1"]
    assert site.host_headers == [f"feeds.localhost:{site.server.port}"]


async def test_redirect_loops_and_long_chains_stop_with_a_clear_error(
    site: Site, recorded: tuple[aiohttp.ClientSession, Recorder]
) -> None:
    session, _ = recorded
    with pytest.raises(FetchError, match="redirect loop"):
        await fetcher(session, OutboundPolicy()).fetch(site.url("/loop"))
    with pytest.raises(FetchError, match="more than 5 redirects"):
        await fetcher(session, OutboundPolicy()).fetch(site.url("/chain/0"))
    assert site.hits == ["/loop"] + [f"/chain/{n}" for n in range(6)]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", AddressClass.LOOPBACK),
        ("localhost", AddressClass.LOOPBACK),
        ("[::1]", AddressClass.LOOPBACK),
        ("10.1.2.3", AddressClass.PRIVATE),
        ("feeds.corp", AddressClass.PRIVATE),
        ("intranet", AddressClass.PRIVATE),
        ("printer.local", AddressClass.PRIVATE),
        ("news.example.com", AddressClass.PUBLIC),
        ("8.8.8.8", AddressClass.PUBLIC),
        ("169.254.169.254", AddressClass.FORBIDDEN),
        ("metadata.google.internal", AddressClass.FORBIDDEN),
        ("METADATA.GOOGLE.INTERNAL.", AddressClass.FORBIDDEN),
        ("fe80::1", AddressClass.FORBIDDEN),
    ],
)
def test_host_class_is_decided_without_dns(host: str, expected: AddressClass) -> None:
    assert host_class(host) is expected


@pytest.mark.parametrize(
    "address", ["169.254.0.1", "fe80::1%eth0", "::ffff:169.254.169.254", "2002:a9fe:a9fe::", "224.0.0.1"]
)
def test_link_local_in_every_spelling_is_forbidden(address: str) -> None:
    assert address_class(address) is AddressClass.FORBIDDEN


@pytest.mark.parametrize("spelling", ["2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518"])
async def test_numeric_shorthands_of_the_metadata_address_are_checked_as_addresses(
    site: Site, recorded: tuple[aiohttp.ClientSession, Recorder], spelling: str
) -> None:
    # yarl keeps these as host *names*; the OS resolver reads them as 169.254.169.254 (inet_aton).
    # The injected resolver does the same, locally: what matters is that the answer is checked.
    async def inet_aton(host: str) -> Sequence[str]:
        return [socket.inet_ntoa(socket.inet_aton(host))]

    session, recorder = recorded
    policy = OutboundPolicy(resolver=inet_aton, allow_private=True)
    with pytest.raises(OutboundRefused, match=r"169\.254\.169\.254"):
        await fetcher(session, policy).fetch(site.url(f"/redirect?to=http://{spelling}/latest/"))
    assert recorder.started == ["127.0.0.1"]
