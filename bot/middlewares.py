"""aiogram middlewares: how dependencies reach handlers.

* :class:`DbSessionMiddleware` (outer, on every update): one session and one transaction per update.
  Handlers and the core functions they call use ``session``; repositories never commit. The
  transaction commits when the handler returns and rolls back if it raises; only *after* the commit
  do the ``after_commit`` hooks run (e.g. waking the sender for an alert that now exists), so a hook
  never acts on rows that might still roll back.
* :class:`UnavailableMiddleware` (outer, before the session): an update that failed because the
  database is unreachable or locked (:func:`bot.db.session.is_database_unavailable`) gets one short
  "temporarily unavailable" reply — at most one per chat per ``UNAVAILABLE_REPLY_SECONDS`` (a user
  tapping five times during an outage hears it once) — and is logged once per outage, not per update.
  Nothing was committed for it. Other errors pass on to the errors router.
* :class:`LanguageMiddleware` (inner): resolves the language to answer in — the chat's stored
  choice, else Telegram's ``language_code``, else the default — and passes it as ``lang``. It reads
  in a short session of its own, so the update's transaction starts only when a handler needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import TelegramObject, Update, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.session import is_database_unavailable
from bot.i18n import Lang, pick_language, t

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
AfterCommit = Callable[[], Awaitable[None]]

UNAVAILABLE_REPLY_SECONDS = 60.0
"""One "temporarily unavailable" reply per chat per minute, at most."""


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


class UnavailableMiddleware(BaseMiddleware):
    def __init__(self, clock: Clock, every: float = UNAVAILABLE_REPLY_SECONDS) -> None:
        self._clock = clock
        self._every = every
        self._replied: dict[int, float] = {}
        self._outage = False
        self.refused = 0
        """Updates that failed on the database so far (replied to or not) — for /metrics-style checks."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            result = await handler(event, data)
        except Exception as e:
            if not is_database_unavailable(e):
                raise
            self.refused += 1
            if not self._outage:
                log.error("database unavailable while handling an update: %s", e, exc_info=e)
                self._outage = True
            await self._reply(event, data)
            return None
        if self._outage:
            log.warning("database available again: updates are handled")
            self._outage = False
        return result

    def should_reply(self, chat_id: int) -> bool:
        now = self._clock.monotonic()
        if len(self._replied) > 10_000:
            self._replied = {c: at for c, at in self._replied.items() if now - at < self._every}
        last = self._replied.get(chat_id)
        if last is not None and now - last < self._every:
            return False
        self._replied[chat_id] = now
        return True

    async def _reply(self, event: TelegramObject, data: dict[str, Any]) -> None:
        bot: Bot | None = data.get("bot")
        if bot is None or not isinstance(event, Update):
            return
        message, query = event.message, event.callback_query
        user = message.from_user if message is not None else (query.from_user if query is not None else None)
        lang = pick_language(user.language_code if user else None)
        try:
            if message is not None and self.should_reply(message.chat.id):
                await bot.send_message(message.chat.id, t("error.unavailable", lang))
            elif query is not None:  # a callback must be answered anyway, or the button spins
                await bot.answer_callback_query(query.id, text=t("error.unavailable", lang))
        except (TelegramAPIError, TelegramNetworkError) as e:
            log.warning("could not tell a chat the bot is unavailable: %s", e)
