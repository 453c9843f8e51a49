"""The last routers before the error handler: nothing a user sends goes unanswered.

* A button no handler understood (stale, forged, random bytes) → "this button is out of date".
* An unknown command in a private chat, or one addressed to this bot by name in a group
  (``/foo@aajel_bot``) → "I don't know that command, see /help". Unaddressed unknown commands in
  groups may belong to another bot and are left alone.
* Plain text (or anything else) in a private chat → a hint about the commands.
* A command posted in a channel → channels are fed by the editors; talk to me in private.

This router must be included **after** every other router that handles messages (the editors'
too), or it would answer their commands first.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message

from bot.commands import COMMANDS
from bot.config import Settings
from bot.i18n import t
from handlers.common import html_text

router = Router(name=__name__)


@router.callback_query()
async def unknown_button(query: CallbackQuery, lang: str) -> None:
    await query.answer(t("callback.stale", lang), show_alert=True)


def _command(text: str | None) -> tuple[str, str | None] | None:
    """``("foo", "bot_name" | None)`` for a message starting with ``/foo[@bot_name]``."""
    if not text or not text.startswith("/") or len(text) < 2:
        return None
    head = text.split(maxsplit=1)[0][1:]
    name, _, mention = head.partition("@")
    return name.lower(), mention or None


@router.message(F.chat.type == "private")
async def private_anything(message: Message, lang: str) -> None:
    if _command(message.text) is not None:
        await message.answer(html_text("command.unknown", lang))
    else:
        await message.answer(html_text("text.hint", lang))


@router.message(F.chat.type.in_({"group", "supergroup"}), F.text.startswith("/"))
async def group_command(message: Message, lang: str, bot: Bot) -> None:
    parsed = _command(message.text)
    if parsed is None or parsed[1] is None:
        return  # not addressed to us by name: maybe another bot's command
    me = await bot.me()
    if (me.username or "").lower() == parsed[1].lower():
        await message.reply(html_text("command.unknown", lang))


@router.channel_post(F.text.startswith("/"))
async def channel_command(message: Message, settings: Settings, bot: Bot) -> None:
    parsed = _command(message.text)
    if parsed is None or parsed[0] not in COMMANDS:
        return
    if parsed[1] is not None and parsed[1].lower() != ((await bot.me()).username or "").lower():
        return
    await message.answer(html_text("chat.channel", settings.default_language))
