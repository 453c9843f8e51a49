"""/console (editors, private chat): a one-time sign-in link to the editors' console in the browser.

Thin: the editors' gate (:mod:`handlers.editor_gate`) has already refused non-editors;
:func:`bot.console.auth.issue_link` stores the link's hash; the reply (after the commit) carries the
link, with link previews off so Telegram's preview fetcher never even sees it.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import LinkPreviewOptions, Message
from aiogram.utils.formatting import Text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.console.auth import LINK_TTL, base_url, issue_link, link_url
from bot.i18n import t
from bot.services.editors import EditorInfo, audit
from handlers.editor_gate import Hook, reply_later

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")


@router.message(Command("console"))
async def console_command(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    settings: Settings,
    after_commit: list[Hook],
) -> None:
    base = base_url(settings)
    if base is None:
        await audit(
            session, actor=editor.telegram_id, action="console.link", result="unavailable", clock=clock
        )
        reply_later(after_commit, message, Text(t("console.unavailable", lang)).as_html())
        return
    token = await issue_link(session, editor, clock)
    await audit(session, actor=editor.telegram_id, action="console.link", result="ok", clock=clock)
    minutes = int(LINK_TTL.total_seconds() // 60)
    text = Text(t("console.link", lang, minutes=minutes, url=link_url(base, token))).as_html()
    reply_later(after_commit, message, text, link_preview_options=LinkPreviewOptions(is_disabled=True))


__all__ = ["router"]
