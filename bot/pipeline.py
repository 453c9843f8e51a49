"""One poll of one source, start to finish.

    load source state (DB) → retrieve (HTTP, no DB session open) → parse + classify (pure)
      → decide new / seen / update / duplicate (pure, against recent stories)
      → store (one transaction; unique keys are the final judge of "new")
      → after commit: wake delivery for the alerts created

Invariants:

* Fetch is concurrent across sources; writes are serial per source (a per-source lock here, and the
  database's unique keys across processes — two pollers racing never create duplicates).
* Notify on NEW breaking stories, and on two follow-ups of a known story
  (:mod:`bot.services.escalation`): a normal story that becomes urgent/flash (an escalation, pushed
  once to whoever does not have it) and a same-source wording of a pushed story that states a new
  number, place or actor (an update, replying to the earlier push). Other seen items, rewordings and
  near-duplicates from other sources are stored and linked, never pushed again.
* The first successful poll of a source is a baseline: everything is stored, nothing is pushed, and
  only identity (guid / URL / title) is checked — no similarity search, so adding a source with a long
  backlog costs dictionary lookups, not a comparison with every recent story.
* New items are stored — and alerts created — in publication order, oldest first.
* A failing source records its error, backs off exponentially and turns unhealthy after repeated
  failures; it is never silently forgotten and never stops other sources.
* Links point at the story's first sighting: ``story_id`` of an update or a near-duplicate is the root
  article (never a chain), and the root's ``revision`` counts the updates recorded against it — a
  rewording as a new ticker line, or the same item (same guid / URL) whose headline changed.
* Decisions are made against an in-memory index of the recent stories (:class:`_RecentCache`),
  refreshed incrementally and rebuilt every few minutes; a failed store discards it.
* Every poll is counted in :data:`bot.metrics.POLLS`; ``SOURCE_LAST_SUCCESS`` and ``SOURCE_HEALTHY``
  follow the stored state.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import PollingSettings
from bot.db.models import Article, Source, Topic, article_topics
from bot.domain import AlertRequest, ClassifiedItem, FetchedPage
from bot.exceptions import AajelError, SourceError, SourceThrottled
from bot.metrics import POLLS, SOURCE_HEALTHY, SOURCE_LAST_SUCCESS
from bot.news.classify import classify
from bot.news.dedup import THRESHOLD, Candidate, Decision, KnownStory, StoryIndex, decide
from bot.services.alerts import create_alert, plan_deliveries
from bot.services.escalation import StoryItem, follow_up
from bot.sources.fetch import Fetcher
from bot.sources.parsers import parse
from bot.sources.spec import SourceSpec, TopicSpec

log = logging.getLogger(__name__)

AlertsHook = Callable[[Sequence[int]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PollOutcome:
    source_id: int
    status: str  # ok | baseline | not_modified | error | throttled | skipped | db_error
    items: int = 0
    new: int = 0
    updates: int = 0
    duplicates: int = 0
    alert_ids: tuple[int, ...] = ()
    error: str | None = None
    source: str | None = None  # the source's name, when it was found
    healthy: bool | None = None  # the stored health after this poll (None: not changed)
    revisions: int = 0  # known items (same guid / URL) whose headline changed


def order_for_storage(items: Sequence[ClassifiedItem]) -> list[ClassifiedItem]:
    """Oldest first: by publication time when every item has one, else reversed feed order.

    Feeds and tickers list newest first; when some items are undated, their position is the only
    trustworthy order, so dates are not mixed with positions.
    """
    oldest_first = list(reversed(items))
    dates = [item.item.published_at for item in oldest_first]
    if any(d is None for d in dates):
        return oldest_first
    order = sorted(range(len(oldest_first)), key=lambda i: (dates[i], i))
    return [oldest_first[i] for i in order]


def backoff_seconds(failures: int, settings: PollingSettings, interval: float) -> float:
    """Exponential backoff from the source's own interval, capped, with a little jitter."""
    base = max(interval, 5.0) * float(2 ** min(failures, 16))
    jitter: float = random.uniform(0.9, 1.1)
    return min(settings.max_backoff_seconds, base) * jitter


FIRST_BATCH = 5
"""Items in a poll's first storing transaction; later ones are sized from its pace (see BATCH_SECONDS)."""
BATCH_SECONDS = 0.05
"""A storing transaction aims to hold the database this long at most (issue 9: no source starves)."""

RECENT_FULL_RELOAD = timedelta(minutes=5)
TOPICS_RELOAD_SECONDS = 30.0
"""The declared topics are re-read at most this often (not on every poll): an import shows within 30 s."""
RECENT_COMMIT_MARGIN = timedelta(seconds=10)


@dataclass
class _RecentCache:
    """The recent stories the poller decides against, kept between polls.

    Why: reloading (and re-indexing) every story of the window on each changed poll made one poll
    cost O(stories) — seconds with 1,000 sources. The cache is refreshed incrementally from the rows
    detected since the last refresh (minus :data:`RECENT_COMMIT_MARGIN` for another process's
    transaction that committed a little later than it began), fully every :data:`RECENT_FULL_RELOAD`
    (picks up other processes' revisions, deletions and very late commits, and drops what left the
    window), and thrown away whenever a store fails (it may hold rows that were rolled back). This
    process's own stories enter it directly. The database's unique keys stay the final judge of "new";
    the cache only bounds how quickly *another process's* near-duplicate is recognised.
    """

    index: StoryIndex | None = None
    span: timedelta = timedelta(0)  # widest dedup window covered
    full_at: datetime | None = None
    refreshed_at: datetime | None = None
    settled: set[int] = dataclasses.field(default_factory=set)
    """Articles whose story is breaking already: seeing them again (breaking) needs no follow-up look-up."""


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
        self._recent = _RecentCache()
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
            source = await session.get(Source, source_id)
            if source is None or not source.enabled:
                return PollOutcome(source_id, "skipped", source=source.name if source else None)
            if source.next_poll_at is not None and source.next_poll_at > self._clock.now():
                return PollOutcome(source_id, "skipped", error="backing off", source=source.name)
            spec = SourceSpec.from_json(source.config)
            etag, last_modified = source.etag, source.last_modified
            topics = await self._load_topics(session)
        try:
            page = await self._fetcher.fetch(
                spec.url, source=spec.name, etag=etag, last_modified=last_modified
            )
            # parsing and classifying are pure CPU work — seconds for a 20,000-item feed: a worker
            # thread keeps the event loop (user commands, the sender) responsive meanwhile (issue 9)
            items = (
                [] if page.not_modified else await asyncio.to_thread(_parse_and_classify, spec, page, topics)
            )
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
        """Store a successful poll in bounded transactions (issue 9: no source can starve the others).

        Items go in batches of at most ``POLLING__STORE_BATCH_SIZE``, one transaction each, oldest
        first; the database lock (SQLite's single writer, our ``_db_gate``) is let go between batches,
        so user commands and delivery claims get their turn. The source's own state (success, ETag,
        baseline done) is written last: if a batch fails, the next poll fetches the feed again and
        finds the stored batches seen. At most ``POLLING__MAX_ITEMS_PER_POLL`` new items are stored per
        poll, the newest; older new ones are logged and skipped for the rest of this process's life.
        """
        now = self._clock.now()
        if page.not_modified:  # the common case: one UPDATE, no ORM load (steady polling speed)
            async with self._db_gate, self._sessionmaker() as session, session.begin():
                result = await session.execute(
                    update(Source)
                    .where(Source.id == source_id)
                    .values(
                        last_polled_at=now,
                        last_success_at=now,
                        failure_count=0,
                        last_error=None,
                        healthy=True,
                        next_poll_at=None,
                        updated_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
            if not getattr(result, "rowcount", 1):
                return PollOutcome(source_id, "skipped")
            return PollOutcome(source_id, "not_modified", source=spec.name, healthy=True)
        async with self._db_gate, self._sessionmaker() as session, session.begin():
            source = await session.get(Source, source_id)
            if source is None:
                return PollOutcome(source_id, "skipped")
            window = timedelta(hours=spec.dedup_window_hours)
            try:
                recent = await self._recent_index(session, now, window)
            except BaseException:
                self._recent.index = None  # it may now hold rows that are being rolled back
                self._recent.settled.clear()
                raise
        # pure CPU over every item (thousands in a huge feed): in a worker thread, like parsing; it only
        # reads the recent-stories index, which other polls may extend meanwhile (appends, no rebuild)
        ordered = await asyncio.to_thread(
            self._cap_new_items, source_id, spec, order_for_storage(items), recent, now, window
        )
        most = self._settings.store_batch_size
        size = min(most, FIRST_BATCH)
        outcome = PollOutcome(source_id, "baseline" if not source.baseline_done else "ok", len(items))
        try:
            start = 0
            while start < len(ordered):
                began = self._clock.monotonic()
                async with self._db_gate, self._sessionmaker() as session, session.begin():
                    # _store_items puts what it gets into storage order itself: hand it the batch as a
                    # feed lists it (newest first), so that order comes back out unchanged
                    chunk = ordered[start : start + size][::-1]
                    batch = await self._store_items(session, source, spec, chunk, recent, now)
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
                stored = await session.get(Source, source_id)
                if stored is None:
                    return PollOutcome(source_id, "skipped")
                _mark_success(stored, now)
                stored.etag = page.etag
                stored.last_modified = page.last_modified
                stored.baseline_done = True
        except BaseException:
            self._recent.index = None  # it may now hold rows that were rolled back
            raise
        return dataclasses.replace(outcome, items=len(items), source=spec.name, healthy=True)

    def _cap_new_items(
        self,
        source_id: int,
        spec: SourceSpec,
        ordered: list[ClassifiedItem],
        recent: StoryIndex,
        now: datetime,
        window: timedelta,
    ) -> list[ClassifiedItem]:
        """Keep every known item and the newest ``max_items_per_poll`` new ones (oldest first still)."""
        cap = self._settings.max_items_per_poll
        skipped = self._skipped[source_id]
        if len(ordered) <= cap and not skipped:
            return ordered
        fresh: list[int] = []
        keys: dict[int, str] = {}
        for index, item in enumerate(ordered):
            candidate = Candidate.from_classified(item, spec.name)
            key = candidate.guid or candidate.canonical_url or candidate.title_key
            keys[index] = key
            if key in skipped:
                continue
            if (
                decide(candidate, recent, now=now, window=window, threshold=math.inf).decision
                is not Decision.SEEN
            ):
                fresh.append(index)
        drop = {i for i in keys if keys[i] in skipped} | set(fresh[: max(0, len(fresh) - cap)])
        if len(fresh) > cap:
            log.warning(
                "source %s: %d new items in one poll; storing the newest %d, skipping %d older ones",
                spec.name,
                len(fresh),
                cap,
                len(fresh) - cap,
            )
            skipped.update(keys[i] for i in fresh[: len(fresh) - cap])
        return [item for index, item in enumerate(ordered) if index not in drop]

    async def _recent_index(self, session: AsyncSession, now: datetime, window: timedelta) -> StoryIndex:
        cache = self._recent
        stale = cache.full_at is None or now - cache.full_at > RECENT_FULL_RELOAD or now < cache.full_at
        if cache.index is None or window > cache.span or stale:
            cache.span = max(cache.span, window)
            cache.index = StoryIndex(await recent_stories(session, now - cache.span))
            cache.settled.clear()
            cache.full_at = cache.refreshed_at = now
            return cache.index
        assert cache.refreshed_at is not None
        # ids first (cheap), whole rows only for the ones not indexed yet: the margin re-reads every
        # story of the last seconds on each poll, which under load was most of a poll's cost
        since = min(now, cache.refreshed_at) - RECENT_COMMIT_MARGIN
        ids = await session.scalars(select(Article.id).where(Article.detected_at >= since))
        unknown = [i for i in ids if cache.index.get(i) is None]
        if unknown:
            for story in await recent_stories(session, since, only=unknown if len(unknown) <= 2000 else None):
                if cache.index.get(story.id) is None:
                    cache.index.add(story)
        cache.refreshed_at = now
        return cache.index

    async def _store_items(
        self,
        session: AsyncSession,
        source: Source,
        spec: SourceSpec,
        items: Sequence[ClassifiedItem],
        recent: StoryIndex,
        now: datetime,
    ) -> PollOutcome:
        """Decide and store every item, oldest first, inside the caller's transaction."""
        baseline = not source.baseline_done
        window = timedelta(hours=spec.dedup_window_hours)
        topic_ids = {slug: tid for tid, slug in (await session.execute(select(Topic.id, Topic.slug))).all()}
        if baseline:
            return await self._store_baseline(session, source, spec, items, recent, now, topic_ids)
        new = updates = duplicates = revisions = 0
        alert_ids: list[int] = []
        for item in order_for_storage(items):
            candidate = Candidate.from_classified(item, spec.name)
            # a baseline pushes nothing, so only identity matters: skip the costly similarity
            # search (a new source's backlog would otherwise be compared with every recent story)
            decision = decide(
                candidate, recent, now=now, window=window, threshold=math.inf if baseline else THRESHOLD
            )
            if decision.decision is Decision.SEEN:
                revised = decision.story_id is not None and await _record_revision(
                    session, source.id, decision.story_id, candidate, item, recent, now
                )
                revisions += revised
                if decision.story_id is not None and not baseline:
                    followed = await self._follow_up(
                        session, spec, item, candidate, decision.story_id, revised, topic_ids
                    )
                    alert_ids += followed
                continue
            matched = None if decision.story_id is None else recent.get(decision.story_id)
            story_id = None if matched is None else matched.root_id
            article_id = await _insert_article(session, source.id, item, candidate, now, story_id)
            if article_id is None:  # the unique keys say it exists: seen after all
                continue
            if item.topics:
                await session.execute(
                    article_topics.insert(),
                    [
                        {"article_id": article_id, "topic_id": topic_ids[s]}
                        for s in item.topics
                        if s in topic_ids
                    ],
                )
            recent.add(_known(article_id, spec.name, candidate, now, story_id))
            if decision.decision is Decision.UPDATE:
                updates += 1
                if story_id is not None:
                    await _bump_revision(session, story_id, now)
            if decision.decision is Decision.DUPLICATE:
                duplicates += 1
            if decision.decision in (Decision.UPDATE, Decision.DUPLICATE):
                if story_id is not None and not baseline:
                    # a new wording of the story; it can be an update only if this source pushed it
                    # (the dedup may match it closest to another source's copy: still this source's)
                    alert_ids += await self._follow_up(
                        session, spec, item, candidate, article_id, True, topic_ids
                    )
                continue
            new += 1
            if baseline or not item.urgency.is_breaking:
                continue
            planned = await create_alert(
                session,
                AlertRequest(
                    headline=item.headline,
                    urgency=item.urgency,
                    topics=tuple(s for s in item.topics if s in topic_ids),
                    url=item.item.url,
                    article_id=article_id,
                    source_name=spec.name,
                    published_at=item.item.published_at,
                    detected_at=now,
                ),
                self._clock,
            )
            await plan_deliveries(session, planned.alert_id, self._clock)
            alert_ids.append(planned.alert_id)
        return PollOutcome(
            source.id,
            "baseline" if baseline else "ok",
            len(items),
            new,
            updates,
            duplicates,
            tuple(alert_ids),
            source=spec.name,
            healthy=True,
            revisions=revisions,
        )

    async def _follow_up(
        self,
        session: AsyncSession,
        spec: SourceSpec,
        item: ClassifiedItem,
        candidate: Candidate,
        article_id: int,
        reworded: bool,
        topic_ids: dict[str, int],
    ) -> list[int]:
        """Escalation or material update of a known story (:mod:`bot.services.escalation`).

        Only a breaking item or a new wording can be one, so the common case — the same item seen
        again — costs nothing; a breaking item of a story known to be breaking is remembered in
        :attr:`_RecentCache.settled` so its repeats cost no look-up either.
        """
        settled = self._recent.settled
        if not (reworded or item.urgency.is_breaking) or (not reworded and article_id in settled):
            return []
        result = await follow_up(
            session,
            StoryItem(
                article_id=article_id,
                source_name=spec.name,
                headline=item.headline,
                title_key=candidate.title_key,
                urgency=item.urgency,
                topics=tuple(s for s in item.topics if s in topic_ids),
                reworded=reworded,
                url=item.item.url,
                published_at=item.item.published_at,
            ),
            self._clock,
            window=timedelta(hours=spec.dedup_window_hours),
        )
        if result.settled:
            settled.add(article_id)
        if result.alert_id is not None:
            log.info("%s: %s (alert %s)", spec.name, result.decision.reason, result.alert_id)
            return [result.alert_id]
        return []

    async def _store_baseline(
        self,
        session: AsyncSession,
        source: Source,
        spec: SourceSpec,
        items: Sequence[ClassifiedItem],
        recent: StoryIndex,
        now: datetime,
        topic_ids: dict[str, int],
    ) -> PollOutcome:
        """A baseline in bulk: identity decisions in memory, then one multi-row INSERT … ON CONFLICT DO
        NOTHING … RETURNING per chunk and one INSERT for all topic links — instead of two statements per
        item. A baseline pushes nothing and compares identity only, so the one difference from the
        item-by-item path is that a repeat *within* this page is dropped by the unique keys rather than
        by :func:`decide`; the stored rows are the same."""
        window = timedelta(hours=spec.dedup_window_hours)
        pending: list[tuple[ClassifiedItem, Candidate]] = []
        revisions = 0
        for item in order_for_storage(items):
            candidate = Candidate.from_classified(item, spec.name)
            decision = decide(candidate, recent, now=now, window=window, threshold=math.inf)
            if decision.decision is Decision.SEEN:
                if decision.story_id is not None and await _record_revision(
                    session, source.id, decision.story_id, candidate, item, recent, now
                ):
                    revisions += 1
                continue
            pending.append((item, candidate))
        ids = await _insert_articles(session, source.id, pending, now)
        links: list[dict[str, int]] = []
        new = 0
        for (item, candidate), article_id in zip(pending, ids, strict=True):
            if article_id is None:  # the unique keys say it exists (or repeats an earlier item)
                continue
            new += 1
            links += [
                {"article_id": article_id, "topic_id": topic_ids[s]} for s in item.topics if s in topic_ids
            ]
            recent.add(_known(article_id, spec.name, candidate, now, None))
        if links:
            await session.execute(article_topics.insert(), links)
        return PollOutcome(
            source.id, "baseline", len(items), new, source=spec.name, healthy=True, revisions=revisions
        )


BULK_CHUNK = 200
"""Rows per multi-row INSERT (13 parameters a row stays far below SQLite's variable limit)."""


async def _insert_articles(
    session: AsyncSession, source_id: int, pending: Sequence[tuple[ClassifiedItem, Candidate]], now: datetime
) -> list[int | None]:
    """Insert many articles, skipping those a unique key refuses; the new id per item (or ``None``)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    ids: list[int | None] = []
    for start in range(0, len(pending), BULK_CHUNK):
        chunk = pending[start : start + BULK_CHUNK]
        rows = [
            {
                "source_id": source_id,
                "guid": candidate.guid,
                "url": item.item.url,
                "canonical_url": candidate.canonical_url,
                "title_key": candidate.title_key,
                "headline": item.headline,
                "summary": item.item.summary,
                "urgency": item.urgency,
                "published_at": item.item.published_at,
                "detected_at": now,
                "story_id": None,
                "created_at": now,
                "updated_at": now,
            }
            for item, candidate in chunk
        ]
        statement = (
            dialect.insert(Article)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(Article.id, Article.guid, Article.canonical_url, Article.title_key)
        )
        # RETURNING order is not promised: match the inserted rows back by their identity
        inserted = {
            (r.guid, r.canonical_url, r.title_key): r.id for r in (await session.execute(statement)).all()
        }
        for _, candidate in chunk:
            ids.append(inserted.pop((candidate.guid, candidate.canonical_url, candidate.title_key), None))
    return ids


def _parse_and_classify(
    spec: SourceSpec, page: FetchedPage, topics: Sequence[TopicSpec]
) -> list[ClassifiedItem]:
    return [classify(item, spec, topics) for item in parse(spec, page)]


def _mark_success(source: Source, now: datetime) -> None:
    source.last_polled_at = now
    source.last_success_at = now
    source.failure_count = 0
    source.last_error = None
    source.healthy = True
    source.next_poll_at = None  # only a backoff sets it; the scheduler owns the normal cadence
    source.updated_at = now


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


def _known(
    article_id: int, source_name: str, candidate: Candidate, now: datetime, story_id: int | None
) -> KnownStory:
    """The stored article as the recent-stories index knows it (both store paths add it the same way)."""
    return KnownStory(
        id=article_id,
        source_name=source_name,
        guid=candidate.guid,
        canonical_url=candidate.canonical_url,
        title_key=candidate.title_key,
        headline=candidate.headline,
        detected_at=now,
        story_id=story_id,
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


async def load_topics(session: AsyncSession) -> list[TopicSpec]:
    """The declared topics, in declaration order, as the classifier wants them."""
    return [
        TopicSpec(t.slug, t.name_ar, t.name_en, tuple(t.keywords or ()))
        for t in await session.scalars(select(Topic).order_by(Topic.id))
    ]


async def recent_stories(
    session: AsyncSession, since: datetime, *, only: Sequence[int] | None = None
) -> list[KnownStory]:
    """Every article detected since ``since`` (of ``only`` these ids, if given), oldest first, reduced
    to what the decider needs."""
    rows = await session.execute(
        select(
            Article.id,
            Source.name,
            Article.guid,
            Article.canonical_url,
            Article.title_key,
            Article.headline,
            Article.detected_at,
            Article.story_id,
        )
        .join(Source, Source.id == Article.source_id)
        .where(Article.detected_at >= since, *(() if only is None else (Article.id.in_(only),)))
        .order_by(Article.id)
    )
    return [
        KnownStory(
            id=row.id,
            source_name=row.name,
            guid=row.guid,
            canonical_url=row.canonical_url,
            title_key=row.title_key or "",
            headline=row.headline,
            detected_at=row.detected_at,
            story_id=row.story_id,
        )
        for row in rows.all()
    ]


async def _bump_revision(session: AsyncSession, story_id: int, now: datetime) -> None:
    await session.execute(
        update(Article).where(Article.id == story_id).values(revision=Article.revision + 1, updated_at=now)
    )


async def _record_revision(
    session: AsyncSession,
    source_id: int,
    article_id: int,
    candidate: Candidate,
    item: ClassifiedItem,
    recent: StoryIndex,
    now: datetime,
) -> bool:
    """A known item (same guid / URL) whose headline changed: store the new wording on its row.

    Returns True when a revision was recorded. Nothing is pushed. The row keeps its identity; when
    another article of the source already holds the new wording, the change is not applied (the
    unique title key would refuse it, and that wording is stored already).
    """
    known = recent.get(article_id)
    if known is None or known.title_key == candidate.title_key:
        return False
    clash = await session.scalar(
        select(Article.id).where(Article.source_id == source_id, Article.title_key == candidate.title_key)
    )
    if clash is not None:
        return False
    await session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(
            headline=item.headline,
            title_key=candidate.title_key,
            revision=Article.revision + 1,
            updated_at=now,
        )
    )
    recent.replace(dataclasses.replace(known, headline=candidate.headline, title_key=candidate.title_key))
    return True


async def _insert_article(
    session: AsyncSession,
    source_id: int,
    item: ClassifiedItem,
    candidate: Candidate,
    now: datetime,
    story_id: int | None,
) -> int | None:
    """Insert the article unless a unique key says it exists; returns the new id or ``None``."""
    values = {
        "source_id": source_id,
        "guid": candidate.guid,
        "url": item.item.url,
        "canonical_url": candidate.canonical_url,
        "title_key": candidate.title_key,
        "headline": item.headline,
        "summary": item.item.summary,
        "urgency": item.urgency,
        "published_at": item.item.published_at,
        "detected_at": now,
        "story_id": story_id,
        "created_at": now,
        "updated_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Article).values(**values).on_conflict_do_nothing().returning(Article.id)
    inserted: int | None = await session.scalar(statement)
    return inserted
