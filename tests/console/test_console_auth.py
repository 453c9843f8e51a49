"""Console sign-in rules without a browser: one-time links, session expiry, removed editors, CSRF,
the progress numbers the page shows, the chart and the demo's printed link (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FrozenClock
from bot.config import load_settings
from bot.console.auth import (
    IDLE_TTL,
    LINK_TTL,
    SESSION_TTL,
    Refusal,
    SignedIn,
    base_url,
    check_link,
    csrf_ok,
    digest,
    issue_link,
    load_session,
    redeem_link,
)
from bot.console.chart import deliveries_svg
from bot.console.live import snapshot_event
from bot.console.readmodels import HourBucket
from bot.db.models import ConsoleSession
from bot.services.corrections import DeliveryProgress
from bot.services.editors import EditorInfo, add_editor, get_editor, remove_editor, seed_editors
from bot.services.progress import Snapshot, TrackedChange

ADMIN = 6_500_001
OTHER = 6_500_002


async def _editors(session: AsyncSession, clock: FrozenClock) -> tuple[EditorInfo, EditorInfo]:
    await seed_editors(session, [ADMIN], clock)
    admin = await get_editor(session, ADMIN)
    assert admin is not None
    await add_editor(session, OTHER, by=admin, clock=clock)
    other = await get_editor(session, OTHER)
    assert other is not None
    return admin, other


async def test_a_link_signs_in_once_and_only_hashes_are_stored(session: AsyncSession) -> None:
    clock = FrozenClock()
    admin, _ = await _editors(session, clock)
    token = await issue_link(session, admin, clock)
    assert await check_link(session, token, clock) == (ADMIN, None)
    session_token, signed = await redeem_link(session, token, clock)
    assert isinstance(signed, SignedIn) and isinstance(session_token, str)
    assert signed.editor.telegram_id == ADMIN and signed.expires_at == clock.now() + SESSION_TTL
    assert await redeem_link(session, token, clock) == (ADMIN, Refusal.USED)
    assert await redeem_link(session, "not-a-token", clock) == (None, Refusal.UNKNOWN)
    row = (await session.scalars(select(ConsoleSession))).one()
    stored = {str(getattr(row, column.key)) for column in ConsoleSession.__table__.columns}
    assert token not in stored and session_token not in stored
    assert row.link_hash == digest(token) and row.session_hash == digest(session_token)
    loaded = await load_session(session, session_token, clock)
    assert isinstance(loaded, SignedIn) and csrf_ok(session_token, loaded.csrf)
    assert not csrf_ok(session_token, None) and not csrf_ok(session_token, "0" * 64)


async def test_links_expire_after_five_minutes_and_sessions_when_idle_or_old(session: AsyncSession) -> None:
    clock = FrozenClock()
    admin, _ = await _editors(session, clock)
    late = await issue_link(session, admin, clock)
    clock.advance(LINK_TTL.total_seconds())
    assert await redeem_link(session, late, clock) == (ADMIN, Refusal.EXPIRED)

    token, signed = await redeem_link(session, await issue_link(session, admin, clock), clock)
    assert isinstance(token, str) and isinstance(signed, SignedIn)
    clock.advance(IDLE_TTL.total_seconds() - 1)
    assert isinstance(await load_session(session, token, clock), SignedIn)  # a click keeps it alive
    clock.advance(IDLE_TTL.total_seconds() - 1)
    assert isinstance(await load_session(session, token, clock), SignedIn)
    clock.advance(IDLE_TTL.total_seconds())
    assert await load_session(session, token, clock) == (ADMIN, Refusal.EXPIRED)

    token, _ = await redeem_link(session, await issue_link(session, admin, clock), clock)
    assert isinstance(token, str)
    for _ in range(int(SESSION_TTL / IDLE_TTL) + 1):  # busy all along, yet past the 12 hours
        assert isinstance(await load_session(session, token, clock), SignedIn)
        clock.advance(IDLE_TTL.total_seconds() - 60)
    assert await load_session(session, token, clock) == (ADMIN, Refusal.EXPIRED)


async def test_a_removed_editor_loses_their_link_and_their_session(session: AsyncSession) -> None:
    clock = FrozenClock()
    admin, other = await _editors(session, clock)
    unused = await issue_link(session, other, clock)
    token, _ = await redeem_link(session, await issue_link(session, other, clock), clock)
    assert isinstance(token, str)
    await remove_editor(session, OTHER, by=admin)
    assert await check_link(session, unused, clock) == (OTHER, Refusal.NOT_EDITOR)
    assert await redeem_link(session, unused, clock) == (OTHER, Refusal.NOT_EDITOR)
    assert await load_session(session, token, clock) == (OTHER, Refusal.NOT_EDITOR)
    await add_editor(session, OTHER, by=admin, clock=clock)  # added again: the old session stays ended
    assert await load_session(session, token, clock) == (OTHER, Refusal.ENDED)


def test_the_links_point_at_the_public_url_or_the_listening_address() -> None:
    def settings(**api: object) -> object:
        return load_settings(_env_file=None, api=api)

    assert base_url(settings(host="127.0.0.1", port=8080)) == "http://127.0.0.1:8080/console"  # type: ignore[arg-type]
    assert base_url(settings(host="0.0.0.0", port=80)) == "http://127.0.0.1:80/console"  # type: ignore[arg-type]
    assert base_url(settings(port=0)) is None  # type: ignore[arg-type]
    public = settings(port=0, public_url="https://news.example.org/")
    assert base_url(public) == "https://news.example.org/console"  # type: ignore[arg-type]


def test_progress_events_carry_counts_rate_and_eta_in_the_pages_language() -> None:
    progress = DeliveryProgress(100, 40, 2, 58, 0, 0, 0, 0, None, None)
    running = snapshot_event(Snapshot(1, TrackedChange.SEND, progress, 20.0, 2.0), "en")
    assert running["sent"] == 40 and running["failed"] == 2 and running["remaining"] == 58
    assert running["percent"] == 42 and running["rate"] == "20.0/s" and running["eta"] == "2.9s"
    assert not running["finished"]
    done = DeliveryProgress(100, 98, 2, 0, 0, 0, 0, 0, None, None)
    finished = snapshot_event(Snapshot(1, TrackedChange.SEND, done, None, 5.0), "ar")
    assert finished["percent"] == 100 and finished["finished"] and finished["eta"] is None


def test_the_chart_is_an_accessible_inline_svg_scaled_to_the_busiest_hour() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    buckets = [HourBucket(start + timedelta(hours=i), sent=i, failed=1 if i == 5 else 0) for i in range(24)]
    svg = deliveries_svg(buckets, title="Deliveries <24h>", desc="d", tz=UTC)  # type: ignore[arg-type]
    assert svg.startswith("<svg") and 'role="img"' in svg and "Deliveries &lt;24h&gt;" in svg
    assert svg.count("<rect") == 23 + 1  # hour 0 sent nothing; hour 5 also failed once
    assert ">23<" in svg  # the axis shows the peak


@pytest.mark.slow
async def test_the_demo_prints_the_console_and_a_working_sign_in_link(tmp_path: object) -> None:
    from bot.demo import run_demo

    out = io.StringIO()
    stop = asyncio.Event()
    demo = asyncio.create_task(run_demo(load_settings(_env_file=None), stop=stop, interval=60, out=out))
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not (found := re.search(r"(http://127\.0\.0\.1:\d+/console/login\?token=\S+)", out.getvalue())):
            assert not demo.done(), out.getvalue()
            assert loop.time() < deadline, out.getvalue()
            await asyncio.sleep(0.05)
        assert re.search(r"editors' console: http://127\.0\.0\.1:\d+/console ", out.getvalue())
        async with aiohttp.ClientSession() as http, http.get(found.group(1)) as response:
            assert response.status == 200
            assert 'id="signin"' in await response.text()
    finally:
        stop.set()
        await asyncio.wait_for(demo, timeout=30)
