"""Editors' newsroom commands: /editor add|remove|list, /history, /stats.

Only reached through the editors' scoping router, behind :class:`handlers.editor_gate.EditorGate`
(``editor`` is always set here). Every command writes an audit row with its outcome; replies go out
after the transaction commits.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.formatting import Text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.commands import clear_editor_commands, register_editor_commands
from bot.config import Settings
from bot.exceptions import NotFound, PermissionDenied, ValidationError
from bot.i18n import t
from bot.services import editor_alerts, editors
from bot.services.editors import EditorInfo, audit
from handlers.editor_gate import Hook, reply_later
from handlers.editor_ui import editors_text, history_text, stats_text

router = Router(name=__name__)
log = logging.getLogger(__name__)
router.message.filter(F.chat.type == "private")

HISTORY_DEFAULT = 10
HISTORY_MAX = 30


@router.message(Command("editor"))
async def editor_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    settings: Settings,
    bot: Bot,
    after_commit: list[Hook],
) -> None:
    args = (command.args or "").split()
    verb = args[0].lower() if args else "list"
    if verb == "list":
        listed = await editors.list_editors(session)
        await audit(session, actor=editor.telegram_id, action="editor.list", result="ok", clock=clock)
        reply_later(after_commit, message, editors_text(listed, lang))
        return
    if verb not in ("add", "remove") or len(args) < 2:
        await audit(session, actor=editor.telegram_id, action="editor.usage", result="invalid", clock=clock)
        reply_later(after_commit, message, t("editor.usage", lang), parse_mode=None)
        return
    raw = args[1]
    action = f"editor.{verb}"
    target = f"editor:{raw[:40]}"
    if not raw.lstrip("-").isdigit():
        await audit(
            session, actor=editor.telegram_id, action=action, target=target, result="invalid", clock=clock
        )
        reply_later(after_commit, message, t("editor.bad_id", lang, value=raw[:40]), parse_mode=None)
        return
    telegram_id = int(raw)
    name = " ".join(args[2:]) or None
    try:
        if verb == "add":
            created = await editors.add_editor(session, telegram_id, by=editor, clock=clock, name=name)
            key = "editor.added" if created else "editor.already"
            shown = name or str(telegram_id)

            async def menu() -> None:
                try:
                    await register_editor_commands(bot, telegram_id)
                except TelegramAPIError as e:  # e.g. they never opened the bot: no chat to scope to yet
                    log.info("editor %s: command menu not set: %s", telegram_id, e.message)

            if created:
                after_commit.append(menu)
        else:
            removed = await editors.remove_editor(
                session, telegram_id, by=editor, protected=settings.editor_ids
            )
            key, shown = "editor.removed", removed.label

            async def unmenu() -> None:
                try:
                    await clear_editor_commands(bot, telegram_id)
                except TelegramAPIError as e:
                    log.info("editor %s: command menu not cleared: %s", telegram_id, e.message)

            after_commit.append(unmenu)
    except PermissionDenied:
        await audit(
            session, actor=editor.telegram_id, action=action, target=target, result="refused", clock=clock
        )
        reply_later(after_commit, message, t("editor.admin_only", lang))
        return
    except NotFound:
        await audit(
            session, actor=editor.telegram_id, action=action, target=target, result="not_found", clock=clock
        )
        reply_later(after_commit, message, t("editor.not_found", lang, id=telegram_id))
        return
    except ValidationError as e:
        await audit(
            session,
            actor=editor.telegram_id,
            action=action,
            target=target,
            result="invalid",
            clock=clock,
            details={"reason": str(e)},
        )
        key = (
            "editor.cannot_remove_self"
            if telegram_id == editor.telegram_id
            else "editor.cannot_remove_configured"
        )
        reply_later(after_commit, message, t(key, lang))
        return
    await audit(
        session,
        actor=editor.telegram_id,
        action=action,
        target=target,
        result="ok",
        clock=clock,
        details={"name": name} if name else None,
    )
    reply_later(after_commit, message, _plain(t(key, lang, name=shown)))


def _plain(text: str) -> str:
    """Escape a catalogue string that carries user input for HTML parse mode."""
    return Text(text).as_html()


@router.message(Command("history"))
async def history_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    settings: Settings,
    after_commit: list[Hook],
) -> None:
    arg = (command.args or "").strip()
    limit = HISTORY_DEFAULT
    if arg.isdigit():
        limit = max(1, min(HISTORY_MAX, int(arg)))
    items = await editor_alerts.history(session, limit=limit)
    await audit(
        session,
        actor=editor.telegram_id,
        action="history",
        result="ok",
        clock=clock,
        details={"limit": limit},
    )
    reply_later(after_commit, message, history_text(items, lang, settings.tz))


@router.message(Command("stats"))
async def stats_command(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    after_commit: list[Hook],
) -> None:
    stats = await editor_alerts.newsroom_stats(session, clock)
    await audit(session, actor=editor.telegram_id, action="stats", result="ok", clock=clock)
    reply_later(after_commit, message, stats_text(stats, lang))
