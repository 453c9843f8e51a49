"""The bot's command menu, registered with setMyCommands in Arabic (default) and English."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeDefault

COMMANDS: dict[str, dict[str, str]] = {
    "start": {"ar": "البدء واختيار المواضيع", "en": "Start and pick topics"},
    "topics": {"ar": "المواضيع واشتراكاتك", "en": "Topics and your subscriptions"},
    "article": {"ar": "نص الخبر كاملًا: /article رقم أو رابط", "en": "Full article: /article id or link"},
}


async def register_commands(bot: Bot) -> None:
    for lang in ("ar", "en"):
        commands = [BotCommand(command=name, description=texts[lang]) for name, texts in COMMANDS.items()]
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=lang)
    # the default list (no language) is Arabic: Aajel is Arabic-first
    await bot.set_my_commands(
        [BotCommand(command=name, description=texts["ar"]) for name, texts in COMMANDS.items()],
        scope=BotCommandScopeDefault(),
    )
