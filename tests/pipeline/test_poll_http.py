"""Polling behaviour over real local HTTP (aiohttp servers on 127.0.0.1), on SQLite and PostgreSQL:
conditional GET, failures and backoff, timeouts, redirects, size cap, wrong content, slow trickles,
host-wide politeness after 429/503, unhealthy sources, and one failing source never stopping others.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.db.models import Article
from bot.metrics import REGISTRY
from tests.pipeline.helpers import count, import_sources, make_poller, source_row, source_toml
from tests.pipeline.site import LocalSite, rss, ticker

FEED = rss(("g2", "عاجل | زلزال يضرب جنوب إيران", "/n/2"), ("g1", "البرلمان يقر الموازنة", "/n/1"))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def site() -> AsyncIterator[LocalSite]:
    async with LocalSite() as s:
        yield s


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


Factory = async_sessionmaker[AsyncSession]


async def test_etag_makes_the_second_poll_a_304_and_stores_nothing_new(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite, clock: FrozenClock
) -> None:
    site.page("/feed.xml", FEED)
    ids = await import_sources(session_factory, clock, source_toml("s", f"{site.url}/feed.xml"))
    poller = make_poller(session_factory, http, clock)
    assert (await poller.poll(ids["s"])).status == "baseline"
    again = await poller.poll(ids["s"])
    assert again.status == "not_modified"
    first, second = site.hits("/feed.xml")
    assert "If-None-Match" not in first.headers
    assert second.headers["If-None-Match"] == (await source_row(session_factory, ids["s"])).etag
    assert await count(session_factory, Article) == 2


async def test_last_modified_alone_makes_the_second_poll_a_304(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite, clock: FrozenClock
) -> None:
    stamp = "Sat, 12 Jul 2025 09:30:00 GMT"
    site.page("/feed.xml", FEED, etag=False, last_modified=stamp)
    ids = await import_sources(session_factory, clock, source_toml("s", f"{site.url}/feed.xml"))
    poller = make_poller(session_factory, http, clock)
    await poller.poll(ids["s"])
    assert (await poller.poll(ids["s"])).status == "not_modified"
    assert site.hits("/feed.xml")[1].headers["If-Modified-Since"] == stamp
    row = await source_row(session_factory, ids["s"])
    assert (row.etag, row.last_modified) == (None, stamp)


async def test_a_5xx_stores_the_error_backs_off_exponentially_and_turns_unhealthy(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite, clock: FrozenClock
) -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=502, reason="Bad Gateway")

    site.handle("/feed.xml", broken)
    ids = await import_sources(
        session_factory, clock, source_toml("s", f"{site.url}/feed.xml", interval_seconds=10)
    )
    poller = make_poller(session_factory, http, clock, unhealthy_after_failures=3)
    waits: list[float] = []
    for attempt in range(1, 4):
        outcome = await poller.poll(ids["s"])
        assert (outcome.status, outcome.error) == ("error", "HTTP 502 Bad Gateway")
        row = await source_row(session_factory, ids["s"])
        assert row.failure_count == attempt and row.last_error == "HTTP 502 Bad Gateway"
        assert row.next_poll_at is not None
        waits.append((row.next_poll_at - clock.now()).total_seconds())
        assert row.healthy is (attempt < 3)
        # polled again before the backoff is over: the source is left alone
        assert (await poller.poll(ids["s"])).error == "backing off"
        clock.advance(waits[-1] + 1)
    assert waits[0] < waits[1] < waits[2]  # 20 s, 40 s, 80 s (±10 % jitter)
    assert len(site.hits("/feed.xml")) == 3
    assert REGISTRY.get_sample_value("aajel_source_healthy", {"source": "s"}) == 0
    assert (REGISTRY.get_sample_value("aajel_polls_total", {"source": "s", "status": "error"}) or 0) >= 3

    # the site recovers: one good poll makes it healthy again, error cleared
    site.page("/feed.xml", FEED)
    assert (await poller.poll(ids["s"])).status == "baseline"
    row = await source_row(session_factory, ids["s"])
    assert (row.healthy, row.failure_count, row.last_error, row.next_poll_at) == (True, 0, None, None)
    assert REGISTRY.get_sample_value("aajel_source_healthy", {"source": "s"}) == 1
    assert REGISTRY.get_sample_value("aajel_source_last_success_timestamp_seconds", {"source": "s"}) == (
        clock.now().timestamp()
    )


async def test_a_server_that_does_not_answer_in_time_is_a_timeout(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite, clock: FrozenClock
) -> None:
    async def stuck(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    site.handle("/feed.xml", stuck)
    ids = await import_sources(session_factory, clock, source_toml("s", f"{site.url}/feed.xml"))
    outcome = await make_poller(session_factory, http, clock, timeout_seconds=0.3).poll(ids["s"])
    assert (outcome.status, outcome.error) == ("error", "timed out after 0.3s")


async def test_a_slow_trickle_is_cut_by_the_total_timeout(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite, clock: FrozenClock
) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
        while True:  # a byte every 50 ms, forever: each read is quick, only the total timeout ends it
            await response.write(b" ")
            await asyncio.sleep(0.05)

    site.handle("/feed.xml", trickle)
    ids = await import_sources(session_factory, clock, source_toml("s", f"{site.url}/feed.xml"))
    poller = make_poller(session_factory, http, clock, timeout_seconds=0.5)
    outcome = await asyncio.wait_for(poller.poll(ids["s"]), 60)  # the trickle never ends by itself
    assert (outcome.status, outcome.error) == ("error", "timed out after 0.5s")


async def test_redirects_are_followed_and_relative_links_resolve_against_the_final_url(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite, clock: FrozenClock
) -> None:
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/section/ticker/")

    site.handle("/ticker", moved)
    site.page(
        "/section/ticker/",
        ticker(
            ("عاجل | زلزال يضرب جنوب إيران", "item-2.html", True),
            ("البرلمان يقر الموازنة", "item-1.html", False),
        ),
        content_type="text/html; charset=utf-8",
    )
    ids = await import_sources(
        session_factory,
        clock,
        source_toml("t", f"{site.url}/ticker", kind="html", html={"item": "div.ticker li"}),
    )
    outcome = await make_poller(session_factory, http, clock).poll(ids["t"])
    assert (outcome.status, outcome.new) == ("baseline", 2)
    async with session_factory() as session:
        urls = set(await session.scalars(select(Article.url)))
    assert urls == {f"{site.url}/section/ticker/item-1.html", f"{site.url}/section/ticker/item-2.html"}


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_body_over_the_size_cap_is_refused(
    declared: bool,
    session_factory: Factory,
    http: aiohttp.ClientSession,
    site: LocalSite,
    clock: FrozenClock,
) -> None:
    huge = b"<rss>" + b" " * 200_000

    async def big(request: web.Request) -> web.StreamResponse:
        if declared:
            return web.Response(body=huge, content_type="application/rss+xml")
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(huge), 16_384):
            await response.write(huge[start : start + 16_384])
        return response

    site.handle("/feed.xml", big)
    ids = await import_sources(session_factory, clock, source_toml("s", f"{site.url}/feed.xml"))
    outcome = await make_poller(session_factory, http, clock, max_body_bytes=50_000).poll(ids["s"])
    assert outcome.status == "error"
    assert outcome.error is not None and "50000-byte cap" in outcome.error


async def test_wrong_content_is_a_clear_parse_error_for_that_source_only(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite, clock: FrozenClock
) -> None:
    html_page = (
        "<!DOCTYPE html><html><head><title>Login</title></head><body><p>Please log in</p></body></html>"
    )
    site.page("/feed.xml", html_page, content_type="text/html; charset=utf-8")
    site.page("/api", html_page, content_type="text/html; charset=utf-8")
    site.page("/good.xml", FEED)
    ids = await import_sources(
        session_factory,
        clock,
        source_toml("feed", f"{site.url}/feed.xml"),
        source_toml("api", f"{site.url}/api", kind="json", json={"items": "data", "title": "t"}),
        source_toml("good", f"{site.url}/good.xml"),
    )
    poller = make_poller(session_factory, http, clock)
    feed, api, good = await asyncio.gather(*(poller.poll(ids[n]) for n in ("feed", "api", "good")))
    assert (feed.status, feed.error) == ("error", "not a feed: the body is an HTML page")
    assert api.status == "error" and api.error is not None and "JSON" in api.error
    assert (good.status, good.new) == ("baseline", 2)
    assert (
        await source_row(session_factory, ids["feed"])
    ).last_error == "not a feed: the body is an HTML page"


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_backs_off_the_whole_host(
    status: int, session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite, clock: FrozenClock
) -> None:
    async def throttled(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Retry-After": "120"})

    site.handle("/a.xml", throttled)
    site.page("/b.xml", FEED)
    ids = await import_sources(
        session_factory, clock, source_toml("a", f"{site.url}/a.xml"), source_toml("b", f"{site.url}/b.xml")
    )
    poller = make_poller(session_factory, http, clock)
    a = await poller.poll(ids["a"])
    assert (a.status, a.error) == ("throttled", f"HTTP {status} from 127.0.0.1")
    row = await source_row(session_factory, ids["a"])
    assert row.next_poll_at is not None and row.next_poll_at >= clock.now() + timedelta(seconds=120)
    assert row.failure_count == 0 and row.healthy  # being asked to wait is not a failure

    # the other source on the same host is not contacted while the host backs off
    b = await poller.poll(ids["b"])
    assert b.status == "throttled"
    assert site.hits("/b.xml") == []
    assert (await source_row(session_factory, ids["b"])).last_error is not None

    # after Retry-After the host may be contacted again
    clock.advance(121)
    assert (await poller.poll(ids["b"])).status == "baseline"
    assert len(site.hits("/b.xml")) == 1


async def test_per_host_concurrency_is_respected_when_many_sources_share_a_host(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite, clock: FrozenClock
) -> None:
    async def slowish(request: web.Request) -> web.Response:
        await asyncio.sleep(0.1)
        return web.Response(body=FEED.encode(), content_type="application/rss+xml")

    names = [f"s{i}" for i in range(5)]
    for name in names:
        site.handle(f"/{name}.xml", slowish)
    ids = await import_sources(
        session_factory, clock, *(source_toml(n, f"{site.url}/{n}.xml") for n in names)
    )
    poller = make_poller(session_factory, http, clock, per_host_concurrency=2)
    outcomes = await asyncio.gather(*(poller.poll(ids[n]) for n in names))
    assert {o.status for o in outcomes} == {"baseline"}
    assert site.max_in_flight == 2


async def test_one_failing_source_never_stops_the_others_polled_concurrently(
    session_factory: Factory, http: aiohttp.ClientSession, site: LocalSite, clock: FrozenClock
) -> None:
    async def error(request: web.Request) -> web.Response:
        return web.Response(status=500)

    async def stuck(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(text="late")

    site.page("/ok1.xml", FEED)
    site.page("/ok2.xml", rss(("x1", "خبر آخر تماما عن الاقتصاد", "/x/1")))
    site.handle("/500.xml", error)
    site.handle("/stuck.xml", stuck)
    site.page("/broken.xml", b"<rss><channel><item><title>unterminated", content_type="text/xml")
    names = ["ok1", "500", "stuck", "broken", "ok2"]
    ids = await import_sources(
        session_factory, clock, *(source_toml(n, f"{site.url}/{n}.xml") for n in names)
    )
    poller = make_poller(session_factory, http, clock, timeout_seconds=0.5, per_host_concurrency=8)
    outcomes = dict(zip(names, await asyncio.gather(*(poller.poll(ids[n]) for n in names)), strict=True))
    assert outcomes["ok1"].status == outcomes["ok2"].status == "baseline"
    assert outcomes["500"].error == "HTTP 500 Internal Server Error"
    assert outcomes["stuck"].error == "timed out after 0.5s"
    assert outcomes["broken"].status in ("error", "baseline")  # recovered by the loose parser, or refused
    for name in ("500", "stuck"):
        assert (await source_row(session_factory, ids[name])).last_error == outcomes[name].error
