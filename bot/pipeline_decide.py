"""Deciding and storing one batch of a poll's items, inside the caller's transaction.

Split from :mod:`bot.pipeline`, which owns the order of things (fetch → parse → decide → store), the
transactions and their sizes; the functions here run inside the caller's transaction and never open
a session or commit. The plain writes they make live in :mod:`bot.pipeline_store`.

Invariants:

* Items arrive already in storage order (oldest first, :func:`bot.pipeline_store.order_for_storage`)
  and are decided and stored in that order, so alerts are created in publication order too.
* Notify on NEW breaking stories, and on two follow-ups of a known story
  (:mod:`bot.services.escalation`): a normal story that becomes urgent/flash (an escalation, pushed
  once to whoever does not have it) and a same-source wording of a pushed story that states a new
  number, place or actor (an update, replying to the earlier push). Other seen items, rewordings and
  near-duplicates from other sources are stored and linked, never pushed again.
* A baseline (the source's first successful poll) stores everything and pushes nothing, and checks
  only identity (guid / URL / title) — no similarity search, so adding a source with a long backlog
  costs dictionary lookups, not a comparison with every recent story.
* Links point at the story's first sighting: ``story_id`` of an update or a near-duplicate is the root
  article (never a chain), and the root's ``revision`` counts the updates recorded against it — a
  rewording as a new ticker line, or the same item (same guid / URL) whose headline changed.
* Decisions are made against the caller's in-memory index of recent stories
  (:class:`~bot.pipeline_store.RecentCache`); every stored article is added to it at once, so a repeat
  later in the same poll is seen. The database's unique keys stay the final judge of "new": an insert
  they refuse is counted as seen, never as an error.
* Alert ids are returned, never announced: the caller wakes delivery only after its commit.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Topic, article_topics
from bot.domain import AlertRequest, ClassifiedItem
from bot.news import meaning
from bot.news.dedup import THRESHOLD, Candidate, Decision, StoryIndex, decide
from bot.pipeline_store import (
    RecentCache,
    bump_revision,
    insert_article,
    known_story,
    record_revision,
    store_baseline,
)
from bot.services.alerts import create_alert, plan_deliveries
from bot.services.escalation import StoryItem, follow_up
from bot.sources.spec import SourceSpec

__all__ = ["PollOutcome", "cap_new_items", "count_unknown", "store_items"]

# the poll's log lines keep the one logger name they had before this module was split off
log = logging.getLogger("bot.pipeline")


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll did (or one stored batch of it: the poller adds the batches up)."""

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


def count_unknown(
    items: Sequence[ClassifiedItem], spec: SourceSpec, recent: StoryIndex, now: datetime, window: timedelta
) -> int:
    """How many items the index does not know by identity (guid / URL / title): the ones whose
    decision may cost a similarity search and whose storing costs statements."""
    return sum(
        decide(
            Candidate.from_classified(item, spec.name), recent, now=now, window=window, threshold=math.inf
        ).decision
        is not Decision.SEEN
        for item in items
    )


def cap_new_items(
    skipped: set[str],
    cap: int,
    spec: SourceSpec,
    ordered: list[ClassifiedItem],
    recent: StoryIndex,
    now: datetime,
    window: timedelta,
) -> list[ClassifiedItem]:
    """Keep every known item and the newest ``cap`` new ones (oldest first still).

    ``skipped`` is the source's set of keys of new items left out by earlier polls: they stay left
    out (never stored, never pushed later), and this poll's left-out keys are added to it.
    """
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


async def store_items(
    session: AsyncSession,
    source_id: int,
    baseline: bool,
    spec: SourceSpec,
    items: Sequence[ClassifiedItem],
    recent: StoryIndex,
    now: datetime,
    *,
    clock: Clock,
    cache: RecentCache,
) -> PollOutcome:
    """Decide and store every item (already in storage order) inside the caller's transaction.

    ``recent`` is ``cache``'s index; ``cache`` is passed for its :attr:`~RecentCache.settled` set.
    """
    window = timedelta(hours=spec.dedup_window_hours)
    topic_ids: dict[str, int] = {}
    if any(item.topics for item in items):
        topic_ids = {slug: tid for tid, slug in (await session.execute(select(Topic.id, Topic.slug))).all()}
    if baseline:
        new, revised = await store_baseline(
            session, source_id, spec.name, items, recent, now, window, topic_ids
        )
        return PollOutcome(
            source_id, "baseline", len(items), new, source=spec.name, healthy=True, revisions=revised
        )
    await _embed_ahead(spec, items, recent, now, window)
    new = updates = duplicates = revisions = 0
    alert_ids: list[int] = []
    for item in items:
        candidate = Candidate.from_classified(item, spec.name)
        # a baseline pushes nothing, so only identity matters: skip the costly similarity
        # search (a new source's backlog would otherwise be compared with every recent story)
        decision = decide(
            candidate, recent, now=now, window=window, threshold=math.inf if baseline else THRESHOLD
        )
        if decision.decision is Decision.SEEN:
            revised = decision.story_id is not None and await record_revision(
                session, source_id, decision.story_id, candidate, item, recent, now
            )
            revisions += revised
            if decision.story_id is not None and not baseline:
                followed = await _follow_up(
                    session, spec, item, candidate, decision.story_id, revised, topic_ids, clock, cache
                )
                alert_ids += followed
            continue
        matched = None if decision.story_id is None else recent.get(decision.story_id)
        story_id = None if matched is None else matched.root_id
        article_id = await insert_article(session, source_id, item, candidate, now, story_id)
        if article_id is None:  # the unique keys say it exists: seen after all
            continue
        if item.topics:
            await session.execute(
                article_topics.insert(),
                [{"article_id": article_id, "topic_id": topic_ids[s]} for s in item.topics if s in topic_ids],
            )
        recent.add(known_story(article_id, spec.name, candidate, now, story_id))
        if decision.decision is Decision.UPDATE:
            updates += 1
            if story_id is not None:
                await bump_revision(session, story_id, now)
        if decision.decision is Decision.DUPLICATE:
            duplicates += 1
        if decision.decision in (Decision.UPDATE, Decision.DUPLICATE):
            if story_id is not None and not baseline:
                # a new wording of the story; it can be an update only if this source pushed it
                # (the dedup may match it closest to another source's copy: still this source's)
                alert_ids += await _follow_up(
                    session, spec, item, candidate, article_id, True, topic_ids, clock, cache
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
            clock,
        )
        await plan_deliveries(session, planned.alert_id, clock)
        alert_ids.append(planned.alert_id)
    return PollOutcome(
        source_id,
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
    session: AsyncSession,
    spec: SourceSpec,
    item: ClassifiedItem,
    candidate: Candidate,
    article_id: int,
    reworded: bool,
    topic_ids: dict[str, int],
    clock: Clock,
    cache: RecentCache,
) -> list[int]:
    """Escalation or material update of a known story (:mod:`bot.services.escalation`).

    Only a breaking item or a new wording can be one, so the common case — the same item seen
    again — costs nothing; a breaking item of a story known to be breaking is remembered in
    :attr:`RecentCache.settled` so its repeats cost no look-up either.
    """
    settled = cache.settled
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
        clock,
        window=timedelta(hours=spec.dedup_window_hours),
    )
    if result.settled:
        settled.add(article_id)
    if result.alert_id is not None:
        log.info("%s: %s (alert %s)", spec.name, result.decision.reason, result.alert_id)
        return [result.alert_id]
    return []


async def _embed_ahead(
    spec: SourceSpec, items: Sequence[ClassifiedItem], recent: StoryIndex, now: datetime, window: timedelta
) -> None:
    """Decide the poll's new items once in a worker thread before deciding them for real.

    The same-story decider's meaning stage runs a model (about 24 ms of CPU a headline, the first time
    a headline is seen; bot/news/meaning.py caches the vectors). Run on the event loop, that would stall
    the sender and every command. This pass makes the same decisions in a thread only to fill that
    cache, so the decisions that count — in the event loop, in the transaction — find the vectors
    there. It is best effort: the index may grow meanwhile (other polls append), and anything it
    misses is embedded by the real decision, which stays the only one used.
    """
    candidates = [Candidate.from_classified(item, spec.name) for item in items]
    unknown = [
        c
        for c in candidates
        if decide(c, recent, now=now, window=window, threshold=math.inf).decision is not Decision.SEEN
    ]
    if not unknown or not meaning.available():
        return

    def warm() -> None:
        for candidate in unknown:
            decide(candidate, recent, now=now, window=window)

    try:
        await asyncio.to_thread(warm)
    except Exception:  # only a cache warm-up: the real decisions follow either way
        log.debug("deciding ahead in a thread failed; the decisions run in the event loop", exc_info=True)
