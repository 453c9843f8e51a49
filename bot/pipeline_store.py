"""What one poll writes: articles (bulk or one by one), revisions, the source's success — and what it
reads back to decide against (recent stories, declared topics).

Split from :mod:`bot.pipeline`, which owns the order of things (fetch → parse → decide → store) and
the transactions; the helpers here run inside the caller's transaction and never commit. The unique
keys of ``articles`` stay the final judge of "new": every insert is ``ON CONFLICT DO NOTHING`` and a
refused row comes back as ``None``, never as an error.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Article, Source, Topic, article_topics
from bot.domain import ClassifiedItem
from bot.news.dedup import Candidate, Decision, KnownStory, StoryIndex, decide
from bot.sources.spec import TopicSpec

_ARTICLES = cast(Table, Article.__table__)  # Core columns: ids come back as ints, no ORM loading

RECENT_FULL_RELOAD = timedelta(minutes=5)
RECENT_COMMIT_MARGIN = timedelta(seconds=10)


@dataclass
class RecentCache:
    """The recent stories the poller decides against, kept between polls.

    Why: reloading (and re-indexing) every story of the window on each changed poll made one poll
    cost O(stories) — seconds with 1,000 sources. The cache is refreshed incrementally: on SQLite
    from the ids above the largest one read so far (:attr:`high_water`; exact, see :meth:`refresh`),
    on PostgreSQL from the rows detected since the last refresh minus :data:`RECENT_COMMIT_MARGIN`
    (ids are handed out at INSERT there, so another process's transaction may commit a smaller id
    a little later); fully every :data:`RECENT_FULL_RELOAD`
    (picks up other processes' revisions, deletions and very late commits, and drops what left the
    window), and thrown away whenever a store fails (it may hold rows that were rolled back). This
    process's own stories enter it directly. The database's unique keys stay the final judge of "new";
    the cache only bounds how quickly *another process's* near-duplicate is recognised.
    """

    index: StoryIndex | None = None
    span: timedelta = timedelta(0)  # widest dedup window covered
    full_at: datetime | None = None
    refreshed_at: datetime | None = None
    high_water: int = 0
    """SQLite: the largest article id read so far (every smaller one was committed and read by then)."""
    settled: set[int] = dataclasses.field(default_factory=set)
    """Articles whose story is breaking already: seeing them again (breaking) needs no follow-up look-up."""

    def discard(self) -> None:
        """Forget the index (after a failed store it may hold rows that were rolled back)."""
        self.index = None
        self.settled.clear()

    async def refresh(self, session: AsyncSession, now: datetime, window: timedelta) -> StoryIndex:
        """The index, brought up to date inside the caller's transaction."""
        stale = self.full_at is None or now - self.full_at > RECENT_FULL_RELOAD or now < self.full_at
        sqlite = session.get_bind().dialect.name == "sqlite"
        if self.index is None or window > self.span or stale:
            self.span = max(self.span, window)
            if sqlite:  # before the rows: a row committed in between is read again, never missed
                self.high_water = await session.scalar(select(func.max(_ARTICLES.c.id))) or 0
            stories = await recent_stories(session, now - self.span)
            # indexing tens of thousands of headlines is seconds of CPU: in a worker thread, so the
            # event loop (user commands, the sender, other polls' I/O) keeps turning meanwhile
            index = (
                await asyncio.to_thread(StoryIndex, stories) if len(stories) > 500 else StoryIndex(stories)
            )
            self.index = index
            self.settled.clear()
            self.full_at = self.refreshed_at = now
            return index
        assert self.refreshed_at is not None
        # ids first (cheap), whole rows only for the ones not indexed yet
        after = self.high_water
        if sqlite:
            # exact: the caller's transaction began with BEGIN IMMEDIATE (the write lock), so every
            # committed row is visible and rowids are handed out in commit order — each row not read
            # at the last refresh has a larger id than every row read then
            ids = list(await session.scalars(select(_ARTICLES.c.id).where(_ARTICLES.c.id > self.high_water)))
            if ids:
                self.high_water = max(self.high_water, max(ids))
            since: datetime | None = None
        else:
            # PostgreSQL hands out ids at INSERT, not at COMMIT: a margin in time re-reads the ids of
            # the last seconds, in case another process's transaction committed a little later
            since = min(now, self.refreshed_at) - RECENT_COMMIT_MARGIN
            ids = list(await session.scalars(select(_ARTICLES.c.id).where(_ARTICLES.c.detected_at >= since)))
        unknown = self.index.unknown(ids)
        if unknown:
            only = unknown if len(unknown) <= 2000 else None
            rows = await recent_stories(
                session, since, only=only, after=after if sqlite and only is None else None
            )
            for story in rows:
                if self.index.get(story.id) is None:
                    self.index.add(story)
        self.refreshed_at = now
        return self.index


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


BULK_CHUNK = 200
"""Rows per bulk INSERT statement (13 parameters a row stays far below SQLite's variable limit)."""


def _article_row(
    source_id: int, item: ClassifiedItem, candidate: Candidate, now: datetime, story_id: int | None
) -> dict[str, Any]:
    return {
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


def _insert_ignore(session: AsyncSession) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(Article.__table__).on_conflict_do_nothing()


async def insert_articles(
    session: AsyncSession, source_id: int, pending: Sequence[tuple[ClassifiedItem, Candidate]], now: datetime
) -> list[int | None]:
    """Insert many articles, skipping those a unique key refuses; the new id per item (or ``None``).

    One statement with the rows as parameters (SQLAlchemy's "insertmanyvalues" sends them as multi-row
    ``INSERT … VALUES … RETURNING`` pages): the statement is compiled once and cached, where
    ``.values(rows)`` was compiled again for every poll — most of a baseline poll's CPU."""
    table = Article.__table__
    statement = _insert_ignore(session).returning(
        table.c.id, table.c.guid, table.c.canonical_url, table.c.title_key
    )
    ids: list[int | None] = []
    for start in range(0, len(pending), BULK_CHUNK):
        chunk = pending[start : start + BULK_CHUNK]
        rows = [_article_row(source_id, item, candidate, now, None) for item, candidate in chunk]
        # RETURNING order is not promised (and refused rows return nothing): match back by identity
        result = await session.execute(statement, rows)
        inserted = {(r.guid, r.canonical_url, r.title_key): r.id for r in result.all()}
        for _, candidate in chunk:
            ids.append(inserted.pop((candidate.guid, candidate.canonical_url, candidate.title_key), None))
    return ids


async def mark_success(
    session: AsyncSession,
    source_id: int,
    now: datetime,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    changed: bool = False,
) -> bool:
    """Record a successful poll with one UPDATE (no ORM load); False when the source is gone.

    ``changed``: the page was fetched (not a 304), so its validators are stored and the baseline is
    done. ``next_poll_at`` is cleared: only a backoff sets it; the scheduler owns the normal cadence."""
    values: dict[str, Any] = {
        "last_polled_at": now,
        "last_success_at": now,
        "failure_count": 0,
        "last_error": None,
        "healthy": True,
        "next_poll_at": None,
        "updated_at": now,
    }
    if changed:
        values.update(etag=etag, last_modified=last_modified, baseline_done=True)
    table = cast(Table, Source.__table__)  # Core, not the ORM's bulk UPDATE (a 304 is only this)
    result = await session.execute(update(table).where(table.c.id == source_id).values(**values))
    return bool(getattr(result, "rowcount", 1))


def known_story(
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


async def load_topics(session: AsyncSession) -> list[TopicSpec]:
    """The declared topics, in declaration order, as the classifier wants them."""
    return [
        TopicSpec(t.slug, t.name_ar, t.name_en, tuple(t.keywords or ()))
        for t in await session.scalars(select(Topic).order_by(Topic.id))
    ]


async def recent_stories(
    session: AsyncSession,
    since: datetime | None,
    *,
    only: Sequence[int] | None = None,
    after: int | None = None,
) -> list[KnownStory]:
    """Every article detected since ``since`` (any time if None; of ``only`` these ids, if given;
    with an id above ``after``, if given), oldest first, reduced to what the decider needs."""
    where = [
        *(() if since is None else (Article.detected_at >= since,)),
        *(() if only is None else (Article.id.in_(only),)),
        *(() if after is None else (Article.id > after,)),
    ]
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
        .where(*where)
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


async def bump_revision(session: AsyncSession, story_id: int, now: datetime) -> None:
    await session.execute(
        update(Article).where(Article.id == story_id).values(revision=Article.revision + 1, updated_at=now)
    )


async def record_revision(
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


async def insert_article(
    session: AsyncSession,
    source_id: int,
    item: ClassifiedItem,
    candidate: Candidate,
    now: datetime,
    story_id: int | None,
) -> int | None:
    """Insert the article unless a unique key says it exists; returns the new id or ``None``."""
    statement = _insert_ignore(session).returning(Article.__table__.c.id)
    inserted: int | None = (
        await session.execute(statement, [_article_row(source_id, item, candidate, now, story_id)])
    ).scalar()
    return inserted


async def store_baseline(
    session: AsyncSession,
    source_id: int,
    source_name: str,
    items: Sequence[ClassifiedItem],
    recent: StoryIndex,
    now: datetime,
    window: timedelta,
    topic_ids: dict[str, int],
) -> tuple[int, int]:
    """A baseline in bulk; returns (new articles, revisions recorded).

    Identity decisions in memory, then one multi-row INSERT … ON CONFLICT DO NOTHING … RETURNING per
    chunk and one INSERT for all topic links — instead of two statements per item. A baseline pushes
    nothing and compares identity only, so the one difference from the item-by-item path is that a
    repeat *within* this page is dropped by the unique keys rather than by :func:`decide`; the stored
    rows are the same."""
    pending: list[tuple[ClassifiedItem, Candidate]] = []
    revisions = 0
    for item in items:
        candidate = Candidate.from_classified(item, source_name)
        decision = decide(candidate, recent, now=now, window=window, threshold=math.inf)
        if decision.decision is Decision.SEEN:
            if decision.story_id is not None and await record_revision(
                session, source_id, decision.story_id, candidate, item, recent, now
            ):
                revisions += 1
            continue
        pending.append((item, candidate))
    ids = await insert_articles(session, source_id, pending, now)
    links: list[dict[str, int]] = []
    new = 0
    for (item, candidate), article_id in zip(pending, ids, strict=True):
        if article_id is None:  # the unique keys say it exists (or repeats an earlier item)
            continue
        new += 1
        links += [{"article_id": article_id, "topic_id": topic_ids[s]} for s in item.topics if s in topic_ids]
        recent.add(known_story(article_id, source_name, candidate, now, None))
    if links:
        await session.execute(article_topics.insert(), links)
    return new, revisions
