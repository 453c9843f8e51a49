"""Safe fetching against a real aiohttp server on 127.0.0.1 (never any other address)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.articles.fetch import (
    MAX_REDIRECTS,
    _pinned_address,
    fetch_article_html,
    host_allowed,
    is_forbidden_address,
)
from bot.exceptions import ArticleNotAllowed, FetchError

PAGE = "<html><head><title>t</title></head><body><p>مرحبا</p></body></html>"


@dataclass
class Served:
    server: TestServer
    hits: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.port}{path}"


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    state: Served

    async def record(request: web.Request) -> None:
        state.hits.append(request.path)
        state.hosts.append(request.headers.get("Host", ""))

    async def page(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(text=PAGE, content_type="text/html")

    async def cp1256(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(
            body=PAGE.encode("cp1256"), headers={"Content-Type": "text/html; charset=windows-1256"}
        )

    async def redirect(request: web.Request) -> web.Response:
        await record(request)
        raise web.HTTPFound(request.query["to"])

    async def chain(request: web.Request) -> web.Response:
        await record(request)
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(text=PAGE, content_type="text/html")
        raise web.HTTPMovedPermanently(f"/chain/{n - 1}")

    async def loop_a(request: web.Request) -> web.Response:
        await record(request)
        raise web.HTTPFound("/loop-b")

    async def loop_b(request: web.Request) -> web.Response:
        await record(request)
        raise web.HTTPTemporaryRedirect("/loop-a")

    async def huge(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(body=b"<p>" + b"x" * 200_000, content_type="text/html")

    async def huge_stream(request: web.Request) -> web.StreamResponse:
        await record(request)
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(50):
            await response.write(b"y" * 10_000)
        await response.write_eof()
        return response

    async def json_body(request: web.Request) -> web.Response:
        await record(request)
        return web.json_response({"not": "html"})

    async def slow(request: web.Request) -> web.Response:
        await record(request)
        await asyncio.sleep(5)
        return web.Response(text=PAGE, content_type="text/html")

    async def missing(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(status=404, text="no", content_type="text/html")

    app = web.Application()
    app.router.add_get("/page", page)
    app.router.add_get("/cp1256", cp1256)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/chain/{n}", chain)
    app.router.add_get("/loop-a", loop_a)
    app.router.add_get("/loop-b", loop_b)
    app.router.add_get("/huge", huge)
    app.router.add_get("/huge-stream", huge_stream)
    app.router.add_get("/json", json_body)
    app.router.add_get("/slow", slow)
    app.router.add_get("/missing", missing)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state = Served(server)
    try:
        yield state
    finally:
        await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


LOCAL = {"127.0.0.1"}


async def fetch(url: str, session: aiohttp.ClientSession, **kw: object) -> tuple[str, str]:
    options: dict[str, object] = {
        "allowed_hosts": LOCAL,
        "timeout": 3.0,
        "max_bytes": 100_000,
        "allow_private": True,
    }
    options.update(kw)
    return await fetch_article_html(url, session=session, **options)  # type: ignore[arg-type]


async def test_fetches_allowed_page_and_returns_text_and_final_url(
    served: Served, session: aiohttp.ClientSession
) -> None:
    html, final = await fetch(served.url("/page"), session)
    assert "مرحبا" in html
    assert final == served.url("/page")


async def test_decodes_windows_1256_from_the_header(served: Served, session: aiohttp.ClientSession) -> None:
    html, _ = await fetch(served.url("/cp1256"), session)
    assert "مرحبا" in html


async def test_follows_redirects_and_reports_final_url(
    served: Served, session: aiohttp.ClientSession
) -> None:
    html, final = await fetch(served.url("/chain/3"), session)
    assert "مرحبا" in html
    assert final == served.url("/chain/0")
    assert served.hits == ["/chain/3", "/chain/2", "/chain/1", "/chain/0"]


async def test_more_than_five_redirects_is_an_error(served: Served, session: aiohttp.ClientSession) -> None:
    with pytest.raises(FetchError, match="redirects"):
        await fetch(served.url(f"/chain/{MAX_REDIRECTS + 1}"), session)
    assert len(served.hits) == MAX_REDIRECTS + 1


async def test_redirect_loop_is_detected(served: Served, session: aiohttp.ClientSession) -> None:
    with pytest.raises(FetchError, match="loop"):
        await fetch(served.url("/loop-a"), session)
    assert served.hits == ["/loop-a", "/loop-b"]


async def test_redirect_to_a_disallowed_host_is_refused_before_connecting(
    served: Served, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ArticleNotAllowed, match=r"evil\.example"):
        await fetch(served.url("/redirect?to=http://evil.example/steal"), session)
    assert served.hits == ["/redirect"]


async def test_redirect_to_another_scheme_is_refused(served: Served, session: aiohttp.ClientSession) -> None:
    with pytest.raises(ArticleNotAllowed, match="http"):
        await fetch(served.url("/redirect?to=file:///etc/passwd"), session)


async def test_every_hop_is_resolved_and_checked_again(
    served: Served, session: aiohttp.ClientSession
) -> None:
    calls: list[str] = []

    async def resolver(host: str) -> Sequence[str]:
        calls.append(host)
        return ["127.0.0.1"]

    start = served.url(f"/redirect?to=http://cdn.news.test:{served.server.port}/page", host="news.test")
    html, final = await fetch(start, session, allowed_hosts={"news.test"}, resolver=resolver)
    assert "مرحبا" in html
    assert final == served.url("/page", host="cdn.news.test")
    assert calls == ["news.test", "cdn.news.test"]


async def test_a_hop_resolving_to_a_private_address_is_refused() -> None:
    async def resolver(host: str) -> Sequence[str]:
        return ["10.1.2.3"]

    with pytest.raises(ArticleNotAllowed, match="non-public"):
        await _pinned_address("cdn.news.test", resolver, allow_private=False)
    assert await _pinned_address("cdn.news.test", resolver, allow_private=True) == "10.1.2.3"


async def test_connection_is_pinned_to_the_checked_address_with_the_real_host_header(
    served: Served, session: aiohttp.ClientSession
) -> None:
    calls: list[str] = []

    async def resolver(host: str) -> Sequence[str]:
        calls.append(host)
        return ["127.0.0.1"]

    # "news.test" is not resolvable by the system: success proves aiohttp connected to the pinned IP.
    html, final = await fetch(
        served.url("/page", host="news.test"), session, allowed_hosts={"news.test"}, resolver=resolver
    )
    assert "مرحبا" in html
    assert final == served.url("/page", host="news.test")
    assert calls == ["news.test"]  # resolved once: a rebinding second answer is never asked for
    assert served.hosts == [f"news.test:{served.server.port}"]


async def test_private_address_is_refused_without_allow_private(
    served: Served, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ArticleNotAllowed, match="non-public"):
        await fetch(served.url("/page"), session, allow_private=False)
    assert served.hits == []


async def test_name_resolving_to_any_private_address_is_refused(session: aiohttp.ClientSession) -> None:
    async def resolver(host: str) -> Sequence[str]:
        return ["93.184.216.34", "192.168.1.10"]  # never connected to: refused before any request

    with pytest.raises(ArticleNotAllowed):
        await fetch(
            "http://news.test/a", session, allowed_hosts={"news.test"}, resolver=resolver, allow_private=False
        )


async def test_body_over_the_cap_is_refused_by_content_length(
    served: Served, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(FetchError, match="cap"):
        await fetch(served.url("/huge"), session)


async def test_streamed_body_over_the_cap_is_cut_off(served: Served, session: aiohttp.ClientSession) -> None:
    with pytest.raises(FetchError, match="cap"):
        await fetch(served.url("/huge-stream"), session)


async def test_non_html_content_type_is_refused(served: Served, session: aiohttp.ClientSession) -> None:
    with pytest.raises(FetchError, match="not an HTML page"):
        await fetch(served.url("/json"), session)


async def test_http_error_status_is_a_fetch_error(served: Served, session: aiohttp.ClientSession) -> None:
    with pytest.raises(FetchError, match="404"):
        await fetch(served.url("/missing"), session)


async def test_slow_server_times_out(served: Served, session: aiohttp.ClientSession) -> None:
    with pytest.raises(FetchError, match="timed out") as info:
        await fetch(served.url("/slow"), session, timeout=0.3)
    assert isinstance(info.value.__cause__, TimeoutError)


async def test_connection_refused_is_wrapped(session: aiohttp.ClientSession) -> None:
    with pytest.raises(FetchError) as info:
        await fetch("http://127.0.0.1:9/page", session)  # discard port: nothing listens
    assert info.value.__cause__ is not None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://user:pw@127.0.0.1/page",
        "/relative",
    ],
)
async def test_non_http_or_credentialed_urls_are_refused(url: str, session: aiohttp.ClientSession) -> None:
    with pytest.raises(ArticleNotAllowed):
        await fetch(url, session)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("example.com", True),
        ("WWW.Example.COM.", True),
        ("m.news.example.com", True),
        ("evilexample.com", False),
        ("example.com.evil.net", False),
        ("", False),
    ],
)
def test_host_allow_list_accepts_exact_hosts_and_subdomains_only(host: str, allowed: bool) -> None:
    assert host_allowed(host, {"example.com"}) is allowed


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "100.64.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",
        "64:ff9b::a00:1",
        "fe80::1%eth0",
        "not-an-ip",
    ],
)
def test_non_public_addresses_are_forbidden(address: str) -> None:
    assert is_forbidden_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_forbidden_address(address)


async def test_a_set_of_allowed_private_addresses_admits_only_those() -> None:
    async def resolver(host: str) -> Sequence[str]:
        return {
            "news.test": ["127.0.0.1"],
            "cdn.news.test": ["10.1.2.3"],
            "mixed.news.test": ["127.0.0.1", "10.1.2.3"],
        }[host]

    allowed = {"127.0.0.1"}
    assert await _pinned_address("news.test", resolver, allowed) == "127.0.0.1"
    for host in ("cdn.news.test", "mixed.news.test"):
        with pytest.raises(ArticleNotAllowed, match="non-public"):
            await _pinned_address(host, resolver, allowed)
    with pytest.raises(ArticleNotAllowed, match="non-public"):
        await _pinned_address("news.test", resolver, set())


async def test_a_redirect_to_a_private_address_outside_the_allowed_set_is_refused(
    served: Served, session: aiohttp.ClientSession
) -> None:
    async def resolver(host: str) -> Sequence[str]:
        return {"news.test": ["127.0.0.1"], "cdn.news.test": ["10.1.2.3"]}[host]

    start = served.url(f"/redirect?to=http://cdn.news.test:{served.server.port}/page", host="news.test")
    with pytest.raises(ArticleNotAllowed, match="non-public"):
        await fetch(
            start, session, allowed_hosts={"news.test"}, resolver=resolver, allow_private={"127.0.0.1"}
        )
    assert served.hits == ["/redirect"]
