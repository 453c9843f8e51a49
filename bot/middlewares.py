"""aiogram middlewares: how dependencies reach handlers.

* :class:`DbSessionMiddleware` (outer, on every update): one session and one transaction per update.
  Handlers and the core functions they call use ``session``; repositories never commit. The
  transaction commits when the handler returns and rolls back if it raises; only *after* the commit
  do the ``after_commit`` hooks run (e.g. waking the sender for an alert that now exists), so a hook
  never acts on rows that might still roll back.
* :class:`LanguageMiddleware` (inner): resolves the language to answer in — the chat's stored
  choice, else Telegram's ``language_code``, else the default — and passes it as ``lang``. It reads
  in a short session of its own, so the update's transaction starts only when a handler needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import Lang, pick_language

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
AfterCommit = Callable[[], Awaitable[None]]


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        hooks: list[AfterCommit] = []
        async with self._sessionmaker() as session, session.begin():
            data["session"] = session
            data["after_commit"] = hooks
            result = await handler(event, data)
        for hook in hooks:
            try:
                await hook()
            except Exception:  # one failing hook never stops the others
                log.exception("after-commit hook failed")
        return result


class LanguageMiddleware(BaseMiddleware):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        default: Lang,
        lookup: Callable[[AsyncSession, int], Awaitable[str | None]],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._default = default
        self._lookup = lookup

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat = data.get("event_chat")
        stored: str | None = None
        if chat is not None:
            async with self._sessionmaker() as session:
                stored = await self._lookup(session, chat.id)
        if stored in ("ar", "en"):
            data["lang"] = stored
        else:
            data["lang"] = pick_language(user.language_code if user else None, self._default)
        return await handler(event, data)
