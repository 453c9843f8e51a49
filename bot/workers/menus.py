"""Command menus (setMyCommands) for everyone and for each editor: cosmetic, so never fatal.

A one-shot worker of the leader. A Bot API server without the method, or a transient error, must
not stop the bot (issue 9): the menus are retried in the background after each pause of
:data:`MENU_RETRY_SECONDS`, then given up with one warning. One editor's failure is logged and the
others still get theirs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.commands import register_commands, register_editor_commands
from bot.services.editors import editor_ids

log = logging.getLogger(__name__)

MENU_RETRY_SECONDS = (5.0, 15.0, 60.0, 300.0, 900.0)
"""Command menus (setMyCommands) are retried after these pauses, then given up with a warning."""


class CommandMenus:
    def __init__(self, *, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._bot = bot
        self._sessionmaker = sessionmaker

    async def run(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """setMyCommands for everyone and for editors, retried in the background; never raises."""
        for pause in (*MENU_RETRY_SECONDS, None):
            try:
                await register_commands(self._bot)
                await self._editor_menus()
                return
            except Exception as e:
                if pause is None:
                    log.warning("command menus not set, giving up (the bot works without them): %s", e)
                    return
                log.warning("command menus not set (%s); retrying in %.0fs", e, pause)
                await sleep(pause)

    async def _editor_menus(self) -> None:
        """Each editor's private chat gets the editors' command menu (failures are logged, not fatal)."""
        async with self._sessionmaker() as session:
            ids = await editor_ids(session)
        for telegram_id in ids:
            try:
                await register_editor_commands(self._bot, telegram_id)
            except (TelegramAPIError, TelegramNetworkError) as e:
                log.warning("editor %s: command menu not set: %s", telegram_id, e)
