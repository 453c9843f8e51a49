"""A 20,000-item feed cannot starve the others (issue 9), on SQLite and PostgreSQL.

While one source's 20,000-item feed is polled, another source's poll, a subscriber's update
transaction and a delivery claim all go through — none fails with "database is locked". The poll
stores at most ``POLLING__MAX_ITEMS_PER_POLL`` new items, the newest, and the skipped older ones are
never stored (or pushed) by a later poll. Latency under this load is measured by
``bench/contention.py``, not asserted here (a timed test would pass or fail with machine load).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from bot.db.models import Article, Delivery, Source, Subscriber
from bot.delivery import leases
from bot.domain import AlertRequest, DeliveryStatus, Urgency
from bot.services.alerts import create_alert, plan_deliveries
from tests.delivery.conftest import World
from tests.pipeline.helpers import import_sources, make_poller, source_toml
from tests.pipeline.site import LocalSite, rss

ITEMS = 20_000
CAP = 300


def huge_feed(count: int, first: int = 0) -> str:
    """Items ``first`` … ``count - 1``, newest first, each a second apart."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    entries = "".join(
        f'<item><guid isPermaLink="false">big-{i}</guid><title>خبر اقتصاد رقم {i}</title>'
        f"<link>http://127.0.0.1/big/{i}</link>"
        f"<pubDate>{format_datetime(start + timedelta(seconds=i), usegmt=True)}</pubDate></item>"
        for i in reversed(range(first, count))
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>big</title>'
        f"<link>http://127.0.0.1/</link><description>d</description>{entries}</channel></rss>"
    )


async def test_a_20000_item_feed_never_locks_out_users_claims_or_other_sources(world: World) -> None:
    sessions: async_sessionmaker[AsyncSession] = world.sessionmaker
    clock = SystemClock()
    await world.subscribers(list(range(8001, 8101)), ("economy",))
    async with LocalSite() as site, aiohttp.ClientSession() as http:
        site.page("/big.xml", huge_feed(ITEMS))
        site.page("/small.xml", rss(("s1", "خبر صغير", "/s/1"), base=site.url))
        ids = await import_sources(
            sessions,
            clock,
            source_toml("big", site.url + "/big.xml"),
            source_toml("small", site.url + "/small.xml"),
        )
        async with sessions() as session, session.begin():
            planned = await create_alert(
                session, AlertRequest("عاجل: اقتصاد", Urgency.URGENT, ("economy",)), clock
            )
            await plan_deliveries(session, planned.alert_id, clock)
        poller = make_poller(sessions, http, clock, max_body_bytes=20_000_000, max_items_per_poll=CAP)
        sender = world.sender()
        failures: list[str] = []
        done = asyncio.Event()
        counts = {"commands": 0, "claims": 0}

        async def users() -> None:
            while not done.is_set():
                try:
                    async with sessions() as session, session.begin():
                        await session.scalar(select(Subscriber.language).where(Subscriber.chat_id == 8001))
                    counts["commands"] += 1
                except Exception as e:
                    failures.append(f"command: {e}")
                await asyncio.sleep(0.05)

        async def claims() -> None:
            while not done.is_set():
                try:
                    async with sessions() as session, session.begin():
                        await leases.claim(
                            session, owner=sender.owner, room=5, now=clock.now(), lease_seconds=60
                        )
                    async with sessions() as session, session.begin():
                        await session.execute(
                            update(Delivery)
                            .where(Delivery.lease_owner == sender.owner)
                            .values(status=DeliveryStatus.PENDING.value, lease_owner=None, lease_until=None)
                        )
                    counts["claims"] += 1
                except Exception as e:
                    failures.append(f"claim: {e}")
                await asyncio.sleep(0.05)

        probes = [asyncio.create_task(users()), asyncio.create_task(claims())]
        try:
            big = asyncio.create_task(poller.poll(ids["big"]))
            await asyncio.sleep(0.2)
            small = await poller.poll(ids["small"])  # another source, during the big one
            outcome = await big
        finally:
            done.set()
            await asyncio.gather(*probes)
        await sender.aclose()

        assert failures == []  # zero failed commands or claims: nobody was locked out
        assert counts["commands"] > 0 and counts["claims"] > 0
        assert small.status == "baseline" and small.new == 1
        assert outcome.status == "baseline" and outcome.items == ITEMS and outcome.new == CAP

        async with sessions() as session:
            guids = set(await session.scalars(select(Article.guid).where(Article.source_id == ids["big"])))
        assert guids == {f"big-{i}" for i in range(ITEMS - CAP, ITEMS)}  # the newest, none lost of those

        # the next poll: one new item on top of the newest 1,000 (the feed scrolled); the skipped
        # older ones among them stay skipped — never stored, never pushed as if they were news
        site.page("/big.xml", huge_feed(ITEMS + 1, first=ITEMS - 1000))
        again = await poller.poll(ids["big"])
        assert again.status == "ok" and again.new == 1
        async with sessions() as session:
            total = await session.scalar(
                select(func.count()).select_from(Article).where(Article.source_id == ids["big"])
            )
            healthy = await session.scalar(select(Source.healthy).where(Source.id == ids["big"]))
        assert total == CAP + 1 and healthy
