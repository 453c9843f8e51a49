"""What the ops chat was last told, per subject — the one owner of ``ops_notices``.

The ops notifier (:mod:`bot.workers.ops`) sends a notice when a source's state (or an alert's bulk failure)
differs from what it last notified. That memory is state, not history, so it is kept here, one row per
subject (``source:<id>``, ``alert:<id>``), and never read back from the audit log (which still gets
its record of every notice). Invariants: :func:`record_notified` overwrites the subject's row; it is
called only after the notice was delivered (at least once: a failed send records nothing). Nothing
here commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import OpsNotice


async def last_notified(session: AsyncSession, states: Iterable[str]) -> dict[str, str]:
    """``{subject: state}`` for every subject whose last notice was one of ``states``."""
    rows = await session.execute(
        select(OpsNotice.target, OpsNotice.state).where(OpsNotice.state.in_(list(states)))
    )
    return {str(target): str(state) for target, state in rows}


async def record_notified(session: AsyncSession, target: str, state: str, clock: Clock) -> None:
    """Remember that ``state`` was just notified for ``target`` (replacing what was there)."""
    row = await session.get(OpsNotice, target, with_for_update=True)
    if row is None:
        session.add(OpsNotice(target=target, state=state, notified_at=clock.now()))
    else:
        row.state = state
        row.notified_at = clock.now()
    await session.flush()


__all__ = ["last_notified", "record_notified"]
