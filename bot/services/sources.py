"""Sources as editors see and steer them: health, last success and error, next poll; enable/disable.

Design and invariants
---------------------
* :func:`source_statuses` is a read model (frozen records, never ORM rows) for any front end: the
  editors' console today. ``next_poll_at`` is the later of the source's back-off time (set by the
  poller after failures) and its last poll plus its interval — when the poller will fetch it next.
* :func:`set_source_enabled` is the one rule for switching a source: it flips ``sources.enabled``
  (the poller skips disabled sources on its next tick, see :mod:`bot.pipeline`), clears a back-off
  when a source is switched back on (an editor who re-enables a source wants it polled now), and
  audits the change with the editor's id. The sources file stays the root of configuration: an
  import at start-up sets ``enabled`` to what the file says.
* Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, as_utc
from bot.db.models import Source
from bot.exceptions import NotFound
from bot.services.editors import audit


@dataclass(frozen=True, slots=True)
class SourceStatus:
    id: int
    name: str
    kind: str
    url: str
    interval_seconds: float
    enabled: bool
    healthy: bool
    failure_count: int
    last_success_at: datetime | None
    last_polled_at: datetime | None
    next_poll_at: datetime | None
    last_error: str | None


def next_poll(source: Source) -> datetime | None:
    """When the poller will fetch ``source`` next (None: disabled, or never polled yet — i.e. now)."""
    if not source.enabled:
        return None
    candidates = []
    if source.next_poll_at is not None:
        candidates.append(as_utc(source.next_poll_at))
    if source.last_polled_at is not None:
        candidates.append(as_utc(source.last_polled_at) + timedelta(seconds=source.interval_seconds))
    return max(candidates) if candidates else None


async def source_statuses(session: AsyncSession) -> list[SourceStatus]:
    rows = await session.scalars(select(Source).order_by(Source.name))
    return [
        SourceStatus(
            id=row.id,
            name=row.name,
            kind=str(row.kind),
            url=row.url,
            interval_seconds=row.interval_seconds,
            enabled=row.enabled,
            healthy=row.healthy,
            failure_count=row.failure_count,
            last_success_at=as_utc(row.last_success_at) if row.last_success_at else None,
            last_polled_at=as_utc(row.last_polled_at) if row.last_polled_at else None,
            next_poll_at=next_poll(row),
            last_error=row.last_error,
        )
        for row in rows
    ]


async def set_source_enabled(
    session: AsyncSession, source_id: int, enabled: bool, *, actor: int, clock: Clock
) -> bool:
    """Switch a source on or off (see module doc); returns whether anything changed."""
    source = await session.get(Source, source_id)
    action = "source.enable" if enabled else "source.disable"
    target = f"source:{source_id}"
    if source is None:
        await audit(session, actor=actor, action=action, target=target, result="not_found", clock=clock)
        raise NotFound(f"source {source_id}")
    changed = source.enabled != enabled
    if changed:
        source.enabled = enabled
        if enabled:
            source.next_poll_at = None
        source.updated_at = clock.now()
        await session.flush()
    await audit(
        session,
        actor=actor,
        action=action,
        target=target,
        result="ok" if changed else "unchanged",
        clock=clock,
        details={"source": source.name},
    )
    return changed


__all__ = ["SourceStatus", "next_poll", "set_source_enabled", "source_statuses"]
