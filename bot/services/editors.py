"""Editors (who may send, correct and retract alerts) and the audit log (who did what, and how it ended).

Design and invariants
---------------------
* An editor is a row of ``editors`` keyed by Telegram user id. Ids listed in ``EDITOR_IDS`` are seeded
  at start-up as **admins** (:func:`seed_editors`, idempotent); admins add and remove other editors.
  Settings are the root of trust: an admin listed in ``EDITOR_IDS`` cannot be removed from Telegram
  (they would be re-seeded at the next start anyway), and nobody can remove themselves (no lock-out).
* Permission checks live here, not in handlers: :func:`add_editor`/:func:`remove_editor` raise
  :class:`~bot.exceptions.PermissionDenied` for non-admins, so the CMS API or a future admin UI get the
  same rules.
* :func:`audit` appends one ``audit_log`` row per action — including refusals and failures — with the
  actor's Telegram id (``None`` for the CMS API and the system), an action name (``alert.send``,
  ``editor.add``, ``api.alert.create``, ``ops.source_unhealthy`` …), a target (``alert:42``,
  ``editor:1001``), a short result (``ok``, ``refused``, ``invalid``, ``not_found``, ``error``) and
  JSON details. The log is append-only: nothing here updates or deletes it.
* Nothing here commits; the caller owns the transaction (an update's, an API request's, a job's).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import AuditLog, Editor
from bot.exceptions import NotFound, PermissionDenied, ValidationError

MAX_TARGET = 256
MAX_DETAIL_TEXT = 500


@dataclass(frozen=True, slots=True)
class EditorInfo:
    """An editor as handlers and services see it (never the ORM row)."""

    id: int  # editors.id (what alerts.editor_id points at)
    telegram_id: int
    name: str | None
    is_admin: bool
    added_by: int | None = None

    @property
    def label(self) -> str:
        """How the editor is shown in /history and /editor list."""
        return self.name or str(self.telegram_id)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    actor_telegram_id: int | None
    action: str
    target: str | None
    result: str
    created_at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)


def _info(row: Editor) -> EditorInfo:
    return EditorInfo(row.id, row.telegram_id, row.name, row.is_admin, row.added_by)


async def seed_editors(session: AsyncSession, telegram_ids: Iterable[int], clock: Clock) -> int:
    """Make every id in ``telegram_ids`` an admin editor; returns how many rows were created or promoted."""
    changed = 0
    for telegram_id in dict.fromkeys(telegram_ids):
        row = await session.scalar(select(Editor).where(Editor.telegram_id == telegram_id))
        if row is None:
            session.add(Editor(telegram_id=telegram_id, is_admin=True, created_at=clock.now()))
            changed += 1
        elif not row.is_admin:
            row.is_admin = True
            changed += 1
    if changed:
        await session.flush()
        await audit(
            session,
            actor=None,
            action="editor.seed",
            result="ok",
            target="settings:EDITOR_IDS",
            details={"changed": changed},
            clock=clock,
        )
    return changed


async def get_editor(session: AsyncSession, telegram_id: int) -> EditorInfo | None:
    row = await session.scalar(select(Editor).where(Editor.telegram_id == telegram_id))
    return None if row is None else _info(row)


async def list_editors(session: AsyncSession) -> list[EditorInfo]:
    rows = await session.scalars(select(Editor).order_by(Editor.is_admin.desc(), Editor.id))
    return [_info(row) for row in rows]


async def editor_ids(session: AsyncSession) -> list[int]:
    """Telegram ids of every editor (for the per-chat command menus)."""
    return list(await session.scalars(select(Editor.telegram_id).order_by(Editor.id)))


async def add_editor(
    session: AsyncSession,
    telegram_id: int,
    *,
    by: EditorInfo,
    clock: Clock,
    name: str | None = None,
) -> bool:
    """``by`` (an admin) makes ``telegram_id`` an editor; False if they already were one."""
    if not by.is_admin:
        raise PermissionDenied("only an admin editor can add editors")
    if telegram_id <= 0:
        raise ValidationError("a Telegram user id is a positive number")
    existing = await session.scalar(select(Editor).where(Editor.telegram_id == telegram_id))
    if existing is not None:
        if name and not existing.name:
            existing.name = name[:128]
        return False
    session.add(
        Editor(
            telegram_id=telegram_id,
            name=(name or None) and name[:128],
            is_admin=False,
            added_by=by.telegram_id,
            created_at=clock.now(),
        )
    )
    await session.flush()
    return True


async def remove_editor(
    session: AsyncSession,
    telegram_id: int,
    *,
    by: EditorInfo,
    protected: Collection[int] = (),
) -> EditorInfo:
    """``by`` (an admin) removes editor ``telegram_id``; returns who was removed.

    ``protected`` are the ids from settings (``EDITOR_IDS``): they are the root of trust and are
    re-seeded at every start, so removing them here would only pretend to work.
    """
    if not by.is_admin:
        raise PermissionDenied("only an admin editor can remove editors")
    if telegram_id == by.telegram_id:
        raise ValidationError("you cannot remove yourself")
    if telegram_id in protected:
        raise ValidationError("this admin is configured in EDITOR_IDS; remove them there")
    row = await session.scalar(select(Editor).where(Editor.telegram_id == telegram_id))
    if row is None:
        raise NotFound(f"editor {telegram_id}")
    info = _info(row)
    await session.delete(row)  # alerts.editor_id is SET NULL by the database
    await session.flush()
    return info


def _clean(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """JSON-safe, bounded details: long strings are cut so one huge input cannot bloat the log."""
    out: dict[str, Any] = {}
    for key, value in (details or {}).items():
        if isinstance(value, str) and len(value) > MAX_DETAIL_TEXT:
            value = value[: MAX_DETAIL_TEXT - 1] + "…"
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple | set | frozenset):
            value = list(value)
        out[str(key)] = value
    return out


async def audit(
    session: AsyncSession,
    *,
    actor: int | None,
    action: str,
    result: str,
    clock: Clock,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append one audit row (in the caller's transaction)."""
    session.add(
        AuditLog(
            actor_telegram_id=actor,
            action=action[:64],
            target=None if target is None else target[:MAX_TARGET],
            result=result[:32],
            details=_clean(details),
            created_at=clock.now(),
        )
    )
    await session.flush()


async def recent_audit(
    session: AsyncSession,
    *,
    limit: int = 50,
    actor: int | None = None,
    actions: Collection[str] | None = None,
    target: str | None = None,
) -> list[AuditEntry]:
    """Newest first."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(AuditLog.actor_telegram_id == actor)
    if actions:
        query = query.where(AuditLog.action.in_(list(actions)))
    if target is not None:
        query = query.where(AuditLog.target == target)
    rows = await session.scalars(query)
    return [
        AuditEntry(r.id, r.actor_telegram_id, r.action, r.target, r.result, r.created_at, dict(r.details))
        for r in rows
    ]


async def count_audit(session: AsyncSession, *, action: str | None = None, result: str | None = None) -> int:
    query = select(func.count()).select_from(AuditLog)
    if action is not None:
        query = query.where(AuditLog.action == action)
    if result is not None:
        query = query.where(AuditLog.result == result)
    return int(await session.scalar(query) or 0)
