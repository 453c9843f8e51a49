"""Importing the newsroom configuration (topics and sources) into the database.

The sources file is the editors' source of truth; the database holds what the poller works from and
the per-source state (ETag, failures, baseline). Import is an upsert by slug / source name: existing
sources keep their polling state, changed settings are applied, and sources missing from the file
are disabled, never deleted (their stories and history stay).

``[[channels]]`` are stored as declarations (``config_state``): resolving an ``@username`` and the
bot's rights needs Telegram, which only the running bot talks to; its reconciler
(:mod:`bot.scheduling`) applies them within seconds (see :mod:`bot.services.channels`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Source, Topic
from bot.services.channels import store_declarations
from bot.sources.spec import Newsroom


@dataclass(frozen=True, slots=True)
class ImportResult:
    topics_added: int
    topics_updated: int
    sources_added: int
    sources_updated: int
    sources_disabled: int
    channels_changed: bool = False


async def import_newsroom(session: AsyncSession, newsroom: Newsroom, clock: Clock) -> ImportResult:
    now = clock.now()
    topics = {t.slug: t for t in await session.scalars(select(Topic))}
    t_added = t_updated = 0
    for spec in newsroom.topics:
        row = topics.get(spec.slug)
        if row is None:
            session.add(
                Topic(
                    slug=spec.slug,
                    name_ar=spec.name_ar,
                    name_en=spec.name_en,
                    keywords=list(spec.keywords),
                    created_at=now,
                )
            )
            t_added += 1
        elif (row.name_ar, row.name_en, list(row.keywords or [])) != (
            spec.name_ar,
            spec.name_en,
            list(spec.keywords),
        ):
            row.name_ar, row.name_en, row.keywords = spec.name_ar, spec.name_en, list(spec.keywords)
            t_updated += 1

    sources = {s.name: s for s in await session.scalars(select(Source))}
    s_added = s_updated = s_disabled = 0
    for source_spec in newsroom.sources:
        config = source_spec.to_json()
        existing = sources.get(source_spec.name)
        if existing is None:
            session.add(
                Source(
                    name=source_spec.name,
                    kind=source_spec.kind,
                    url=source_spec.url,
                    interval_seconds=float(source_spec.interval_seconds),
                    enabled=source_spec.enabled,
                    config=config,
                    baseline_done=False,
                    failure_count=0,
                    healthy=True,
                    next_poll_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            s_added += 1
            continue
        changed = (
            existing.kind != source_spec.kind
            or existing.url != source_spec.url
            or existing.interval_seconds != float(source_spec.interval_seconds)
            or existing.enabled != source_spec.enabled
            or existing.config != config
        )
        if changed:
            if existing.url != source_spec.url:
                existing.etag = existing.last_modified = None
                existing.baseline_done = False  # a new URL is a new feed: baseline it again
            existing.kind = source_spec.kind
            existing.url = source_spec.url
            existing.interval_seconds = float(source_spec.interval_seconds)
            existing.enabled = source_spec.enabled
            existing.config = config
            existing.updated_at = now
            s_updated += 1
    named = {s.name for s in newsroom.sources}
    for name, source_row in sources.items():
        if name not in named and source_row.enabled:
            source_row.enabled = False
            source_row.updated_at = now
            s_disabled += 1
    await session.flush()
    channels_changed = await store_declarations(session, newsroom.channels, clock)
    return ImportResult(t_added, t_updated, s_added, s_updated, s_disabled, channels_changed)
