"""The console's HTTP contract without a browser: cookie flags behind HTTPS, security headers, the
CSRF and Origin checks, and that refusals are audited (SQLite and PostgreSQL)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.config import load_settings
from bot.console import Console
from bot.console.auth import csrf_token, issue_link
from bot.db.models import AuditLog
from bot.services.editors import get_editor, seed_editors

EDITOR = 6_600_001


async def _client(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock, **api: object
) -> tuple[TestClient[web.Request, web.Application], str]:
    settings = load_settings(_env_file=None, api={"host": "127.0.0.1", "port": 8080, **api})
    app = web.Application()
    Console(settings, session_factory, clock, lambda: None).register(app)
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    async with session_factory() as session, session.begin():
        await seed_editors(session, [EDITOR], clock)
        editor = await get_editor(session, EDITOR)
        assert editor is not None
        token = await issue_link(session, editor, clock)
    return client, token


async def test_behind_https_the_session_cookie_is_secure_httponly_and_strict(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    client, token = await _client(session_factory, FrozenClock(), public_url="https://news.example.org")
    try:
        page = await client.get("/console/login", params={"token": token})
        assert page.status == 200
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert page.headers["X-Frame-Options"] == "DENY"
        response = await client.post("/console/login", data={"token": token}, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/console/compose"
        cookie = response.headers["Set-Cookie"]
        for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/console"):
            assert flag in cookie, cookie
    finally:
        await client.close()


async def test_posts_need_the_csrf_token_and_this_origin(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    client, token = await _client(session_factory, FrozenClock())
    try:
        signed_in = await client.post("/console/login", data={"token": token}, allow_redirects=False)
        session_token = signed_in.cookies["aajel_console"].value
        good = csrf_token(session_token)
        body = {"headline": "x", "topics": []}
        ok = await client.post("/console/preview", json=body, headers={"X-CSRF-Token": good})
        assert ok.status == 200 and "html" in await ok.json()
        missing = await client.post("/console/preview", json=body)
        elsewhere = await client.post(
            "/console/preview", json=body, headers={"X-CSRF-Token": good, "Origin": "https://evil.example"}
        )
        assert (missing.status, elsewhere.status) == (403, 403)
        async with session_factory() as session:
            reasons = [
                details["reason"]
                for details in await session.scalars(
                    select(AuditLog.details).where(AuditLog.action == "console.csrf").order_by(AuditLog.id)
                )
            ]
        assert reasons == ["missing", "bad origin"]
        out = await client.post("/console/logout", data={"csrf": good}, allow_redirects=False)
        assert out.status == 200
        after = await client.post("/console/preview", json=body, headers={"X-CSRF-Token": good})
        assert after.status == 401
    finally:
        await client.close()
