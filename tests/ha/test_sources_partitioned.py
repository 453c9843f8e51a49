"""Sources are shared by several instances: each due poll is claimed by exactly one, a dead instance's
sources go to the others within one interval, and the per-host cap holds across instances.

Each "instance" is a :class:`~bot.coord.sources.SourceScheduler` with its **own engine** (its own
connections, as separate processes would have); claims are driven by hand on the injected clock, so
nothing depends on timing. Runs on SQLite and PostgreSQL (on SQLite several instances are never run in
production — :mod:`bot.coord.leader` refuses a second one — but the claim rules are the same).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from bot.clock import FrozenClock
from bot.config import PollingSettings
from bot.coord.sources import LEASE_MARGIN_SECONDS, Claimed, SourceScheduler, host_of
from bot.db.models import Source
from bot.db.session import create_engine, make_sessionmaker
from bot.domain import SourceKind

INTERVAL = 60.0


async def _seed(url: str, hosts: dict[str, int], clock: FrozenClock) -> None:
    engine = create_engine(url)
    now = clock.now()
    rows = [
        {"name": f"{host}-{n}", "kind": SourceKind.RSS, "url": f"http://{host}/feed/{n}.xml",
         "interval_seconds": INTERVAL, "config": {}, "created_at": now, "updated_at": now}
        for host, count in hosts.items()
        for n in range(count)
    ]  # fmt: skip
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(insert(Source), rows)
    await engine.dispose()


@pytest.fixture
async def instances(migrated_db_url: str) -> AsyncIterator[tuple[FrozenClock, list[SourceScheduler]]]:
    clock = FrozenClock()
    engines = [create_engine(migrated_db_url) for _ in range(3)]

    async def no_poll(source_id: int) -> None:  # claims are what is tested; polls are not started
        return None

    settings = PollingSettings(per_host_concurrency=2, jitter_fraction=0.1, timeout_seconds=15)
    schedulers = [
        SourceScheduler(
            sessionmaker=make_sessionmaker(engine),
            poll=no_poll,
            clock=clock,
            settings=settings,
            owner=f"instance-{n}",
            seed=n,
        )
        for n, engine in enumerate(engines)
    ]
    yield clock, schedulers
    for engine in engines:
        await engine.dispose()


async def _claim_all(schedulers: list[SourceScheduler], limit: int = 1000) -> list[tuple[str, Claimed]]:
    """Every instance claims at the same moment (concurrently); returns (owner, claimed)."""
    results = await asyncio.gather(*(s.claim(limit) for s in schedulers))
    return [(s.owner, c) for s, claimed in zip(schedulers, results, strict=True) for c in claimed]


async def _finish(schedulers: list[SourceScheduler], taken: list[tuple[str, Claimed]]) -> None:
    """The polls are done: each instance releases its leases."""
    by_owner = {s.owner: s for s in schedulers}
    for owner, claimed in taken:
        by_owner[owner]._done.append(claimed.source_id)
    for s in schedulers:
        await s.release()


async def test_each_due_source_is_polled_by_exactly_one_instance_per_interval(
    migrated_db_url: str, instances: tuple[FrozenClock, list[SourceScheduler]]
) -> None:
    clock, schedulers = instances
    hosts = {f"127.0.0.{n}:8080": 20 for n in range(1, 11)}  # 200 sources on 10 hosts
    await _seed(migrated_db_url, hosts, clock)
    polls: Counter[int] = Counter()
    owners: Counter[str] = Counter()
    minutes = 4
    for _ in range(minutes * 20):  # a claim round every 3 seconds for four intervals
        taken = await _claim_all(schedulers, limit=64)
        polls.update(c.source_id for _, c in taken)
        owners.update(owner for owner, _ in taken)
        await _finish(schedulers, taken)
        clock.advance(3.0)
    # 4 intervals: the first poll at once, then one per interval — never two in one interval
    assert set(polls.values()) <= {minutes, minutes + 1}
    assert len(polls) == 200
    assert sum(owners.values()) == sum(polls.values())  # each poll was made by the one that claimed it


async def test_a_dead_instance_s_sources_move_to_the_others_within_one_interval(
    migrated_db_url: str, instances: tuple[FrozenClock, list[SourceScheduler]]
) -> None:
    clock, schedulers = instances
    await _seed(migrated_db_url, {f"10.0.0.{n}": 10 for n in range(1, 11)}, clock)
    dead, *alive = schedulers
    first = await dead.claim(1000)  # it claims everything it can, then dies without polling
    assert first
    polled: set[int] = set()
    for _ in range(int((INTERVAL + LEASE_MARGIN_SECONDS + 30) / 3)):
        clock.advance(3.0)
        taken = await _claim_all(alive)
        polled.update(c.source_id for _, c in taken)
        await _finish(alive, taken)
    # every source the dead instance held was polled by a live one, within one interval of its due
    assert {c.source_id for c in first} <= polled


async def test_at_most_per_host_concurrency_requests_per_host_across_instances(
    migrated_db_url: str, instances: tuple[FrozenClock, list[SourceScheduler]]
) -> None:
    clock, schedulers = instances
    await _seed(migrated_db_url, {"news.example:443": 30, "other.example": 3}, clock)
    taken = await _claim_all(schedulers)  # nobody releases: all are "in flight" at once
    per_host = Counter(c.host for _, c in taken)
    assert per_host == {"news.example:443": 2, "other.example": 2}
    assert await schedulers[0].claim(100) == []  # the host is full until a poll finishes
    await _finish(schedulers, taken[:1])
    again = await schedulers[1].claim(100)
    assert len(again) == 1


async def test_a_host_s_429_pause_holds_for_all_its_sources(
    migrated_db_url: str, instances: tuple[FrozenClock, list[SourceScheduler]]
) -> None:
    clock, schedulers = instances
    await _seed(migrated_db_url, {"slow.example": 5}, clock)
    first = schedulers[0]
    [one, _] = await first.claim(10)
    engine = create_engine(migrated_db_url)
    async with make_sessionmaker(engine)() as session, session.begin():  # what the poller records
        row = await session.get(Source, one.source_id)
        assert row is not None
        row.next_poll_at = clock.now() + timedelta(minutes=10)
    first._throttled.append(one.source_id)
    await first.release()
    clock.advance(INTERVAL * 2)
    assert await _claim_all(schedulers) == []  # every instance leaves the host alone
    clock.advance(600)
    assert len(await _claim_all(schedulers)) == 2
    async with make_sessionmaker(engine)() as session:
        assert set(await session.scalars(select(Source.host))) == {"slow.example"}
    await engine.dispose()


def test_host_key() -> None:
    assert host_of("https://News.Example/rss") == "news.example"
    assert host_of("http://127.0.0.1:8080/feed/1.xml") == "127.0.0.1:8080"
