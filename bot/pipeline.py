"""One poll of one source, start to finish.

    load source state (DB) → retrieve (HTTP, no DB session open) → parse + classify (pure)
      → decide new / seen / update / duplicate, against recent stories, and store — one transaction
        for a small poll, bounded batches for a big one (the per-item decisions and what they write
        live in :mod:`bot.pipeline_decide`, the plain writes in :mod:`bot.pipeline_store`; unique keys
        are the final judge of "new")
      → after commit: wake delivery for the alerts created

This module owns the order of things, the transactions and their sizes, the per-source state
(back-off, health, ETag) and the caches kept between polls; what is new, what is pushed and how
stories are linked is :mod:`bot.pipeline_decide`'s (its docstring states those rules).

Invariants:

* Fetch is concurrent across sources; writes are serial per source (a per-source lock here, and the
  database's unique keys across processes — two pollers racing never create duplicates).
* The first successful poll of a source is a baseline: everything is stored, nothing is pushed.
* New items are stored — and alerts created — in publication order, oldest first.
* A failing source records its error, backs off exponentially and turns unhealthy after repeated
  failures; it is never silently forgotten and never stops other sources.
* Decisions are made against an in-memory index of the recent stories (:class:`RecentCache`),
  refreshed incrementally and rebuilt every few minutes; a failed store discards it.
* Every poll is counted in :data:`bot.metrics.POLLS`; ``SOURCE_LAST_SUCCESS`` and ``SOURCE_HEALTHY``
  follow the stored state.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, as_utc
from bot.config import PollingSettings
from bot.db.models import Source
from bot.domain import ClassifiedItem, FetchedPage
from bot.exceptions import AajelError, SourceError, SourceThrottled
from bot.metrics import POLLS, SOURCE_HEALTHY, SOURCE_LAST_SUCCESS
from bot.news.classify import classify
from bot.news.dedup import StoryIndex
from bot.pipeline_decide import PollOutcome, cap_new_items, count_unknown, store_items
from bot.pipeline_store import (
    RecentCache,
    load_topics,
    mark_success,
    order_for_storage,
    recent_stories,
)
from bot.sources.fetch import Fetcher
from bot.sources.parsers import parse
from bot.sources.spec import SourceSpec, TopicSpec

__all__ = [  # PollOutcome and the store helpers stay importable from here (e2e tests, bot.cli_sources)
    "PollOutcome",
    "Poller",
    "load_topics",
    "order_for_storage",
    "recent_stories",
]

log = logging.getLogger(__name__)

_SOURCES = Source.__table__

AlertsHook = Callable[[Sequence[int]], Awaitable[None]]


def backoff_seconds(failures: int, settings: PollingSettings, interval: float) -> float:
    """Exponential backoff from the source's own interval, capped, with a little jitter."""
    base = max(interval, 5.0) * float(2 ** min(failures, 16))
    jitter: float = random.uniform(0.9, 1.1)
    return min(settings.max_backoff_seconds, base) * jitter


FIRST_BATCH = 5
"""Items in a poll's first storing transaction; later ones are sized from its pace (see BATCH_SECONDS)."""
INLINE_DECIDE_ITEMS = 200
"""Polls of at most this many items are capped and counted (identity look-ups, a few milliseconds)
inside the storing transaction; bigger ones in a worker thread first."""
SMALL_BASELINE = 50
"""A baseline of at most this many items (a usual feed) is stored in one transaction: bulk inserts,
but each new story is also indexed for similarity (about half a millisecond a headline)."""
INLINE_PARSE_BYTES = 64 * 1024
"""Bodies up to this size are parsed on the event loop (about a millisecond for a 20-item feed: less
than the hop to a worker thread); bigger ones in a worker thread, so a huge feed never stalls it."""
BATCH_SECONDS = 0.05
"""A storing transaction aims to hold the database this long at most (issue 9: no source starves)."""

TOPICS_RELOAD_SECONDS = 30.0
"""The declared topics are re-read at most this often (not on every poll): an import shows within 30 s."""


class Poller:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        fetcher: Fetcher,
        clock: Clock,
        settings: PollingSettings,
        on_alerts: AlertsHook | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._fetcher = fetcher
        self._clock = clock
        self._settings = settings
        self._on_alerts = on_alerts
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._recent = RecentCache()
        self._topics: tuple[float, list[TopicSpec]] | None = None  # (loaded at, topics)
        # new items a poll left out (over POLLING__MAX_ITEMS_PER_POLL): never stored, never pushed later
        self._skipped: defaultdict[int, set[str]] = defaultdict(set)
        # SQLite has one writer and takes the write lock at BEGIN (even to read): queue our own
        # transactions here instead of piling dozens of them onto busy_timeout ("database is locked").
        bind = sessionmaker.kw.get("bind")
        self._db_gate: contextlib.AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if bind is not None and bind.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    async def poll(self, source_id: int) -> PollOutcome:
        """Poll one source; never raises for a source problem (it is recorded on the source)."""
        async with self._locks[source_id]:
            try:
                outcome = await self._poll(source_id)
            except (SQLAlchemyError, OSError) as e:  # the database (asyncpg: raw OSError), not the source
                log.exception("poll of source %s: database error", source_id)
                outcome = PollOutcome(source_id, "db_error", error=f"{type(e).__name__}: {e}")
        _record_metrics(outcome, self._clock)
        if outcome.alert_ids and self._on_alerts is not None:
            try:
                await self._on_alerts(outcome.alert_ids)
            except Exception:
                log.exception("after-commit alert hook failed for source %s", source_id)
        return outcome

    async def _poll(self, source_id: int) -> PollOutcome:
        async with self._db_gate, self._sessionmaker() as session:
            row = (
                await session.execute(
                    select(  # Core columns: no ORM entity to build for the commonest read
                        _SOURCES.c.name,
                        _SOURCES.c.enabled,
                        _SOURCES.c.next_poll_at,
                        _SOURCES.c.config,
                        _SOURCES.c.etag,
                        _SOURCES.c.last_modified,
                    ).where(_SOURCES.c.id == source_id)
                )
            ).first()
            if row is None or not row.enabled:
                return PollOutcome(source_id, "skipped", source=row.name if row else None)
            if row.next_poll_at is not None and as_utc(row.next_poll_at) > self._clock.now():
                return PollOutcome(source_id, "skipped", error="backing off", source=row.name)
            topics = await self._load_topics(session)
        spec = SourceSpec.from_json(row.config)
        try:
            page = await self._fetcher.fetch(
                spec.url, source=spec.name, etag=row.etag, last_modified=row.last_modified
            )
            if page.not_modified:
                items: list[ClassifiedItem] = []
            elif len(page.body) <= INLINE_PARSE_BYTES:  # a thread hop costs more than a small feed
                items = _parse_and_classify(spec, page, topics)
            else:
                # parsing and classifying are pure CPU work — seconds for a 20,000-item feed: a worker
                # thread keeps the event loop (user commands, the sender) responsive meanwhile (issue 9)
                items = await asyncio.to_thread(_parse_and_classify, spec, page, topics)
        except SourceError as e:
            return await self._record_failure(source_id, e)
        except AajelError as e:  # a classification bug must not kill the poller either
            return await self._record_failure(source_id, SourceError(spec.name, str(e)))
        return await self._store(source_id, spec, page, items)

    async def _record_failure(self, source_id: int, error: SourceError) -> PollOutcome:
        now = self._clock.now()
        async with self._db_gate, self._sessionmaker() as session, session.begin():
            source = await session.get(Source, source_id)
            if source is None:
                return PollOutcome(source_id, "skipped")
            throttled = isinstance(error, SourceThrottled)
            retry_after = error.retry_after if isinstance(error, SourceThrottled) else None
            source.last_polled_at = now
            source.last_error = error.message
            if not throttled:
                source.failure_count += 1
            wait = backoff_seconds(source.failure_count, self._settings, source.interval_seconds)
            if retry_after:
                wait = max(wait, retry_after)
            source.next_poll_at = now + timedelta(seconds=wait)
            if source.failure_count >= self._settings.unhealthy_after_failures:
                if source.healthy:
                    log.warning("source %s is now unhealthy: %s", source.name, error.message)
                source.healthy = False
            source.updated_at = now
            name, healthy = source.name, source.healthy
        log.info("poll of %s failed: %s", error.source, error.message)
        return PollOutcome(
            source_id,
            "throttled" if throttled else "error",
            error=error.message,
            source=name,
            healthy=healthy,
        )

    async def _load_topics(self, session: AsyncSession) -> list[TopicSpec]:
        cached, at = self._topics, self._clock.monotonic()
        if cached is None or at - cached[0] > TOPICS_RELOAD_SECONDS or at < cached[0]:
            cached = self._topics = (at, await load_topics(session))
        return cached[1]

    async def _store(
        self, source_id: int, spec: SourceSpec, page: FetchedPage, items: Sequence[ClassifiedItem]
    ) -> PollOutcome:
        """Store a successful poll: small polls in one transaction, big ones in bounded batches.

        A poll whose new work is small — a baseline of at most :data:`SMALL_BASELINE` items (bulk
        inserts), or any poll with at most :data:`FIRST_BATCH` items not known by identity —
        is decided, stored and marked successful in **one** transaction: the common steady poll (one
        new item among twenty seen ones) costs one write transaction, not four.

        Bigger polls (issue 9: no source can starve the others) go in batches of at most
        ``POLLING__STORE_BATCH_SIZE``, one transaction each, oldest first; the database lock (SQLite's
        single writer, our ``_db_gate``) is let go between batches, so user commands and delivery
        claims get their turn. The source's own state (success, ETag, baseline done) is written last:
        if a batch fails, the next poll fetches the feed again and finds the stored batches seen. At
        most ``POLLING__MAX_ITEMS_PER_POLL`` new items are stored per poll, the newest; older new ones
        are logged and skipped for the rest of this process's life.
        """
        now = self._clock.now()
        if page.not_modified:  # the common case: one UPDATE, no ORM load (steady polling speed)
            async with self._db_gate, self._sessionmaker() as session, session.begin():
                found = await mark_success(session, source_id, now)
            if not found:
                return PollOutcome(source_id, "skipped")
            return PollOutcome(source_id, "not_modified", source=spec.name, healthy=True)
        window = timedelta(hours=spec.dedup_window_hours)
        ordered = order_for_storage(items)
        small = len(ordered) <= INLINE_DECIDE_ITEMS
        try:
            async with self._db_gate, self._sessionmaker() as session, session.begin():
                baseline_done = await session.scalar(
                    select(_SOURCES.c.baseline_done).where(_SOURCES.c.id == source_id)
                )
                if baseline_done is None:
                    return PollOutcome(source_id, "skipped")
                baseline = not baseline_done
                recent = await self._recent_index(session, now, window)
                if small:  # identity look-ups only: a few milliseconds for a few hundred items
                    ordered = self._cap_new_items(source_id, spec, ordered, recent, now, window)
                    if (
                        len(ordered) <= SMALL_BASELINE
                        if baseline
                        else count_unknown(ordered, spec, recent, now, window) <= FIRST_BATCH
                    ):
                        outcome = await store_items(
                            session, source_id, baseline, spec, ordered, recent, now,
                            clock=self._clock, cache=self._recent,
                        )  # fmt: skip
                        await mark_success(
                            session, source_id, now, etag=page.etag, last_modified=page.last_modified,
                            changed=True,
                        )  # fmt: skip
                        return dataclasses.replace(outcome, source_id=source_id, items=len(items))
        except BaseException:
            self._recent.discard()  # it may now hold rows that were rolled back
            raise
        if not small:
            # pure CPU over every item (thousands in a huge feed): in a worker thread, like parsing; it
            # only reads the recent-stories index, which other polls may extend meanwhile (appends)
            ordered = await asyncio.to_thread(
                self._cap_new_items, source_id, spec, ordered, recent, now, window
            )
        return await self._store_batches(source_id, baseline, spec, page, len(items), ordered, recent, now)

    async def _store_batches(
        self,
        source_id: int,
        baseline: bool,
        spec: SourceSpec,
        page: FetchedPage,
        count: int,
        ordered: list[ClassifiedItem],
        recent: StoryIndex,
        now: datetime,
    ) -> PollOutcome:
        """A big poll in bounded transactions, each sized to hold the lock about BATCH_SECONDS."""
        most = self._settings.store_batch_size
        size = min(most, FIRST_BATCH)
        outcome = PollOutcome(source_id, "baseline" if baseline else "ok", count)
        try:
            start = 0
            while start < len(ordered):
                began = self._clock.monotonic()
                async with self._db_gate, self._sessionmaker() as session, session.begin():
                    chunk = ordered[start : start + size]
                    batch = await store_items(
                        session, source_id, baseline, spec, chunk, recent, now,
                        clock=self._clock, cache=self._recent,
                    )  # fmt: skip
                outcome = _add_batch(outcome, batch)
                start += len(chunk)
                # size the next batch to last about BATCH_SECONDS: deciding an item against many
                # recent stories can cost milliseconds, and the lock is held all along
                took = self._clock.monotonic() - began
                per_item = took / len(chunk)
                size = most if per_item <= 0 else max(1, min(most, int(BATCH_SECONDS / per_item)))
                if start < len(ordered):
                    # as long a pause as the batch took (at most BATCH_SECONDS): user commands and
                    # delivery claims waiting for the event loop or SQLite's lock get their turn
                    await asyncio.sleep(min(max(took, 0.0), BATCH_SECONDS))
            async with self._db_gate, self._sessionmaker() as session, session.begin():
                found = await mark_success(
                    session, source_id, now, etag=page.etag, last_modified=page.last_modified, changed=True
                )
            if not found:
                return PollOutcome(source_id, "skipped")
        except BaseException:
            self._recent.discard()  # it may now hold rows that were rolled back
            raise
        return dataclasses.replace(outcome, items=count, source=spec.name, healthy=True)

    def _cap_new_items(
        self,
        source_id: int,
        spec: SourceSpec,
        ordered: list[ClassifiedItem],
        recent: StoryIndex,
        now: datetime,
        window: timedelta,
    ) -> list[ClassifiedItem]:
        """:func:`~bot.pipeline_decide.cap_new_items` with this poller's cap and the source's skipped keys."""
        cap = self._settings.max_items_per_poll
        return cap_new_items(self._skipped[source_id], cap, spec, ordered, recent, now, window)

    async def _recent_index(self, session: AsyncSession, now: datetime, window: timedelta) -> StoryIndex:
        return await self._recent.refresh(session, now, window)


def _parse_and_classify(
    spec: SourceSpec, page: FetchedPage, topics: Sequence[TopicSpec]
) -> list[ClassifiedItem]:
    return [classify(item, spec, topics) for item in parse(spec, page)]


def _add_batch(total: PollOutcome, batch: PollOutcome) -> PollOutcome:
    """The poll's outcome so far plus one stored batch's."""
    return dataclasses.replace(
        total,
        new=total.new + batch.new,
        updates=total.updates + batch.updates,
        duplicates=total.duplicates + batch.duplicates,
        revisions=total.revisions + batch.revisions,
        alert_ids=total.alert_ids + batch.alert_ids,
    )


def _record_metrics(outcome: PollOutcome, clock: Clock) -> None:
    """Count the poll and mirror the stored health in the gauges (only for sources that exist)."""
    if outcome.source is None:
        return
    POLLS.labels(source=outcome.source, status=outcome.status).inc()
    if outcome.healthy is not None:
        SOURCE_HEALTHY.labels(source=outcome.source).set(1 if outcome.healthy else 0)
    if outcome.status in ("ok", "baseline", "not_modified"):
        SOURCE_LAST_SUCCESS.labels(source=outcome.source).set(clock.now().timestamp())
