"""The gate in front of every editor-only handler: who may pass, and an audit entry for every refusal.

:class:`EditorGate` is an *inner* middleware on the editors' scoping router (see
:func:`handlers.get_routers`), so it runs only once a handler's filters matched — i.e. for an actual
editor command, draft button or draft text — never for ordinary subscriber traffic:

* not an editor → one ``audit_log`` row (``result='refused'``), a polite answer in the user's
  language (after the transaction commits), any draft state dropped; the handler never runs;
* an editor → the handler gets ``editor`` (:class:`~bot.services.editors.EditorInfo`) and runs inside a
  SAVEPOINT; if it raises, its writes and its after-commit hooks are discarded, the failure is logged
  and audited (``result='error'``) and the editor gets the generic apology — the audit row survives
  because only the savepoint rolled back.

Handlers that reply do so from ``after_commit`` hooks (:func:`reply_later`) so no database transaction
(on SQLite: the write lock) is held while talking to Telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import CancelHandler, SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import t
from bot.services.editors import audit, get_editor

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
Hook = Callable[[], Awaitable[None]]


def action_of(event: TelegramObject) -> str:
    """A short audit name for what was attempted: ``cmd:alert``, ``button:ea``, ``text``."""
    if isinstance(event, Message):
        text = (event.text or "").strip()
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
            return f"cmd:{command[:40]}"
        return "text"
    if isinstance(event, CallbackQuery):
        prefix = (event.data or "").split(":", 1)[0]
        return f"button:{prefix[:20]}"
    return type(event).__name__.lower()


def reply_later(hooks: list[Hook], message: Message, text: str, **kwargs: Any) -> None:
    """Answer ``message`` once the update's transaction has committed."""

    async def send() -> None:
        await message.answer(text, **kwargs)

    hooks.append(send)


def answer_later(hooks: list[Hook], query: CallbackQuery, text: str | None = None, **kwargs: Any) -> None:
    async def send() -> None:
        await query.answer(text, **kwargs)

    hooks.append(send)


class EditorGate(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        session: AsyncSession = data["session"]
        clock: Clock = data["clock"]
        hooks: list[Hook] = data["after_commit"]
        lang: str = data.get("lang", "ar")
        user: User | None = data.get("event_from_user")
        chat = data.get("event_chat")
        editor = await get_editor(session, user.id) if user is not None else None
        if editor is None:
            await audit(
                session,
                actor=user.id if user else None,
                action=action_of(event),
                result="refused",
                clock=clock,
                target=f"chat:{chat.id}" if chat is not None else None,
                details={"reason": "not an editor"},
            )
            state: FSMContext | None = data.get("state")
            if state is not None:
                await state.clear()
            if isinstance(event, Message):
                reply_later(hooks, event, t("editor.refused", lang))
            elif isinstance(event, CallbackQuery):
                answer_later(hooks, event, t("editor.refused", lang), show_alert=True)
            return None
        data["editor"] = editor
        mark = len(hooks)
        try:
            async with session.begin_nested():
                return await handler(event, data)
        except (SkipHandler, CancelHandler):
            raise
        except Exception as e:
            del hooks[mark:]  # the handler's work was rolled back: so are its follow-ups
            log.exception("editor action %s by %s failed", action_of(event), editor.telegram_id)
            await audit(
                session,
                actor=editor.telegram_id,
                action=action_of(event),
                result="error",
                clock=clock,
                details={"error": f"{type(e).__name__}: {e}"[:300]},
            )
            if isinstance(event, Message):
                reply_later(hooks, event, t("error.generic", lang))
            elif isinstance(event, CallbackQuery):
                answer_later(hooks, event, t("error.generic", lang), show_alert=True)
            return None
