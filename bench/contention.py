"""Contention benchmark (issue 9): can one huge feed starve everyone else? One run, one table.

    .venv/bin/python -m bench.contention [--items 20000] [--no-postgres] [--skip-before]

While one source's 20,000-item RSS feed (served on 127.0.0.1) is polled through the production
:class:`~bot.pipeline.Poller`, two probes run in the same process and event loop, as they would in
the bot, each every 50 ms:

* **user command** — what a subscriber's ``/mytopics`` costs in storage: one update transaction
  (``BEGIN IMMEDIATE`` on SQLite, like :class:`~bot.middlewares.DbSessionMiddleware`) reading the
  chat's subscriptions with their topics;
* **delivery claim** — the sender's claim (:func:`bot.delivery.leases.claim` + its alerts) of 10 due rows (the rows
  are put back, untimed, after each probe).

Rows, per engine (SQLite file in a temp dir; PostgreSQL on a fresh schema of the test server):

* ``idle`` — the probes alone: the named baseline;
* ``first poll`` — the 20,000 items as a new source's baseline, with the issue-9 defaults (new items
  capped at ``POLLING__MAX_ITEMS_PER_POLL``, batches of ``POLLING__STORE_BATCH_SIZE``);
* ``next poll`` — the feed replaced by 20,000 *new* items (the similarity path), same defaults;
* ``before`` — the first poll as it was before issue 9: every item in one transaction, no cap, parsing
  on the event loop is *not* reproduced (that fix applies to every row) — so this row isolates what
  bounded transactions and the cap buy. Skipped with ``--skip-before`` (it takes the longest).

p99 ÷ goal is the ratio against the issue's goal of 1 s; ``× idle`` against the idle row.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot
from aiohttp import web
from sqlalchemy import func, insert, select, update

from bench._feeds import headline
from bench.ingest import _fresh_postgres, _fresh_sqlite
from bot.app import GIL_SWITCH_SECONDS
from bot.clock import SystemClock
from bot.config import PollingSettings, load_settings
from bot.db.models import Article, Delivery, Source, Subscriber, Subscription, Topic
from bot.db.session import create_engine, make_sessionmaker
from bot.delivery import leases
from bot.delivery.requests import load_alerts
from bot.delivery.sender import Sender
from bot.domain import AlertRequest, DeliveryStatus, SourceKind, Urgency
from bot.pipeline import Poller
from bot.services.alerts import create_alert, plan_deliveries
from bot.services.newsroom import import_newsroom
from bot.sources.fetch import Fetcher
from bot.sources.spec import Newsroom, SourceSpec, TopicSpec

GOAL_SECONDS = 1.0
PROBE_EVERY = 0.05
TOPICS = (TopicSpec("news", "أخبار", "News", ("حكومة", "government")),)
SUBSCRIBERS = 2000
CHAT = 1_000_001


@dataclass
class Row:
    engine: str
    mode: str
    poll_s: float
    stored: int
    cmd_p50: float
    cmd_p99: float
    claim_p99: float
    errors: int


class BigFeed:
    """``/feed/{tag}.xml``: ``items`` RSS items whose guids and links carry ``tag`` (distinct stories)."""

    def __init__(self, items: int) -> None:
        self.items = items
        self.bodies: dict[str, bytes] = {}
        self.url = ""
        self._runner: web.AppRunner | None = None

    def body(self, tag: str) -> bytes:
        if tag not in self.bodies:
            rng = random.Random(tag)
            start = datetime(2026, 1, 1, tzinfo=UTC)
            entries = "".join(
                f'<item><guid isPermaLink="false">{tag}-{i}</guid><title>{headline(rng)}</title>'
                f"<link>http://127.0.0.1/{tag}/{i}</link>"
                f"<pubDate>{format_datetime(start + timedelta(seconds=i), usegmt=True)}</pubDate></item>"
                for i in reversed(range(self.items))
            )
            self.bodies[tag] = (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>big</title>'
                f"<link>http://127.0.0.1/</link><description>d</description>{entries}</channel></rss>"
            ).encode()
        return self.bodies[tag]

    async def handler(self, request: web.Request) -> web.Response:
        tag = request.match_info["tag"]
        return web.Response(body=self.body(tag), content_type="application/rss+xml", charset="utf-8")

    async def __aenter__(self) -> BigFeed:
        app = web.Application()
        app.router.add_get("/feed/{tag}.xml", self.handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _seed(sessionmaker: Any, clock: SystemClock, feed_url: str, tags: list[str]) -> dict[str, int]:
    sources = tuple(
        SourceSpec(name=f"big-{tag}", kind=SourceKind.RSS, url=f"{feed_url}/feed/{tag}.xml", language="ar")
        for tag in tags
    )
    async with sessionmaker() as session, session.begin():
        await import_newsroom(session, Newsroom(TOPICS, sources), clock)
        topic_id = await session.scalar(select(Topic.id))
        now = clock.now()
        await session.execute(
            insert(Subscriber),
            [
                {
                    "chat_id": CHAT + i,
                    "kind": "private",
                    "language": "ar",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(SUBSCRIBERS)
            ],
        )
        ids = list(await session.scalars(select(Subscriber.id)))
        await session.execute(
            insert(Subscription),
            [{"subscriber_id": sid, "topic_id": topic_id, "created_at": now} for sid in ids],
        )
        planned = await create_alert(
            session, AlertRequest("عاجل: اختبار", Urgency.URGENT, ("news",), detected_at=now), clock
        )
        await plan_deliveries(session, planned.alert_id, clock)
        rows = (await session.execute(select(Source.name, Source.id))).all()
    return {name: sid for name, sid in rows}


class Probes:
    def __init__(self, sessionmaker: Any, sender: Sender) -> None:
        self.sessionmaker = sessionmaker
        self.sender = sender
        self.command: list[float] = []
        self.claim: list[float] = []
        self.errors = 0
        self.stop = asyncio.Event()

    async def _loop(self, probe: Callable[[], Awaitable[None]], out: list[float]) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                await probe()
            except Exception as e:
                self.errors += 1
                print(f"… probe failed: {type(e).__name__}: {e}"[:200], file=sys.stderr)
            out.append(time.perf_counter() - started)
            await asyncio.sleep(PROBE_EVERY)

    async def _command(self) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                select(Topic.slug, Topic.name_en)
                .join(Subscription, Subscription.topic_id == Topic.id)
                .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
                .where(Subscriber.chat_id == CHAT)
            )

    async def run(self, during: Callable[[], Awaitable[float]]) -> float:
        tasks = [
            asyncio.create_task(self._loop(self._command, self.command)),
            asyncio.create_task(self._loop(self._claim_only, [])),
        ]
        try:
            return await during()
        finally:
            self.stop.set()
            await asyncio.gather(*tasks)

    async def _claim_only(self) -> None:
        started = time.perf_counter()
        async with self.sessionmaker() as session, session.begin():  # what the sender's claim does
            now = SystemClock().now()
            jobs = await leases.claim(session, owner=self.sender.owner, room=10, now=now, lease_seconds=60)
            await load_alerts(session, {job.alert_id for job in jobs}, now)
        self.claim.append(time.perf_counter() - started)
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(Delivery)
                .where(Delivery.lease_owner == self.sender.owner)
                .values(status=DeliveryStatus.PENDING.value, lease_owner=None, lease_until=None)
            )


async def bench_engine(db_url: str, engine_name: str, feed: BigFeed, skip_before: bool) -> list[Row]:
    clock = SystemClock()
    engine = create_engine(db_url)
    sessionmaker = make_sessionmaker(engine)
    ids = await _seed(sessionmaker, clock, feed.url, ["first", "before"])
    settings = load_settings(bot_token="1:bench", telegram_api_url="http://127.0.0.1:9", _env_file=None)
    bot = Bot("1:bench")
    sender = Sender(sessionmaker=sessionmaker, bot=bot, settings=settings, clock=clock)
    rows: list[Row] = []

    async def articles() -> int:
        async with sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(Article)) or 0)

    async def measure(mode: str, source: str | None, polling: PollingSettings) -> None:
        before = await articles()
        probes = Probes(sessionmaker, sender)
        async with aiohttp.ClientSession() as http:
            poller = Poller(
                sessionmaker=sessionmaker,
                fetcher=Fetcher(http, polling, clock),
                clock=clock,
                settings=polling,
            )

            async def during() -> float:
                if source is None:
                    await asyncio.sleep(3.0)
                    return 0.0
                started = time.perf_counter()
                outcome = await poller.poll(ids[source])
                if outcome.status not in ("ok", "baseline"):
                    print(f"… {mode}: poll {outcome.status} {outcome.error}", file=sys.stderr)
                return time.perf_counter() - started

            _say(f"{engine_name}: {mode}")
            seconds = await probes.run(during)
        rows.append(
            Row(
                engine_name,
                mode,
                seconds,
                await articles() - before,
                _p(probes.command, 0.5),
                _p(probes.command, 0.99),
                _p(probes.claim, 0.99),
                probes.errors,
            )
        )

    big = {"max_body_bytes": 50_000_000, "timeout_seconds": 120}
    try:
        await measure("idle", None, PollingSettings(**big))
        await measure("first poll", "big-first", PollingSettings(**big))
        feed.bodies["first"] = feed.body("second")  # the same source now lists 20,000 new items
        await measure("next poll", "big-first", PollingSettings(**big))
        if not skip_before:
            unbounded = PollingSettings(**big, max_items_per_poll=10**9, store_batch_size=10**9)
            await measure("before (1 txn, no cap)", "big-before", unbounded)
    finally:
        await sender.aclose()
        await bot.session.close()
        await engine.dispose()
    return rows


def print_table(rows: list[Row]) -> None:
    idle = {r.engine: r for r in rows if r.mode == "idle"}
    header = (
        "| engine | mode | poll s | items stored | command p50 ms | command p99 ms | command p99 ÷ goal "
        "| × idle | claim p99 ms | claim p99 ÷ goal | errors |"
    )
    print(header)
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        base = idle.get(r.engine)
        ratio = r.cmd_p99 / base.cmd_p99 if base and base.cmd_p99 > 0 else float("nan")
        print(
            f"| {r.engine} | {r.mode} | {r.poll_s:.1f} | {r.stored} | {r.cmd_p50 * 1000:.1f} | "
            f"{r.cmd_p99 * 1000:.1f} | {r.cmd_p99 / GOAL_SECONDS:.2f} | {ratio:.1f} | "
            f"{r.claim_p99 * 1000:.1f} | {r.claim_p99 / GOAL_SECONDS:.2f} | {r.errors} |"
        )


def _say(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


async def _main(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    async with BigFeed(args.items) as feed:
        _say(f"building a {args.items}-item feed")
        size = len(feed.body("first"))
        _say(f"feed is {size / 1e6:.1f} MB")
        with tempfile.TemporaryDirectory() as tmp:
            rows += await bench_engine(await _fresh_sqlite(Path(tmp)), "SQLite", feed, args.skip_before)
        if not args.no_postgres:
            pg = await _fresh_postgres()
            if pg is None:
                _say("PostgreSQL: no server answered, skipped")
            else:
                url, drop = pg
                try:
                    feed.bodies.pop("first", None)
                    rows += await bench_engine(url, "PostgreSQL", feed, args.skip_before)
                finally:
                    await drop()  # type: ignore[misc]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.contention", description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000, help="items in the big feed (default 20000)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--skip-before", action="store_true", help="skip the slow pre-issue-9 baseline row")
    args = parser.parse_args()
    sys.setswitchinterval(GIL_SWITCH_SECONDS)  # as `aajel run` does
    started = time.perf_counter()
    rows = asyncio.run(_main(args))
    print_table(rows)
    print(
        f"\n(goal: p99 ≤ {GOAL_SECONDS:.0f} s; {args.items} items; run took {time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
