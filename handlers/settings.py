"""/settings (buttons and text sub-commands) and /stop.

Settings are per chat — language, time zone, quiet hours — plus, per subscription (topic × thread),
"urgent only" or "all news" (normal news then arrives as a digest). Text forms, for what buttons
cannot offer (any IANA time zone, any quiet-hours window)::

    /settings lang ar|en           /settings tz Asia/Riyadh
    /settings quiet 23:00-07:00    /settings quiet off
    /settings level <topic> urgent|all

Buttons carry :class:`~bot.callbacks.SettingsCb` (a :class:`~bot.callbacks.SettingsAction` and an
integer); an unknown action (the fallback handler) or an index outside its list is answered as a stale
button. In groups only admins may change anything.

/stop deletes the chat's data (:func:`bot.services.subscriptions.forget_chat`): the subscriber row,
its subscriptions, the delivery rows addressed to the chat and its digests.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import SettingsAction, SettingsCb
from bot.clock import Clock
from bot.config import Settings
from bot.exceptions import NotFound, ValidationError
from bot.i18n import t
from bot.keyboards import (
    QUIET_PRESETS,
    TIMEZONE_PRESETS,
    quiet_keyboard,
    settings_keyboard,
    timezone_keyboard,
)
from bot.middlewares import AfterCommit
from bot.services import subscriptions
from bot.services.subscriptions import MAX_ARGUMENT, ChatSettings, format_minutes, local_now
from handlers.common import (
    Place,
    admin_or_refuse,
    escape_html,
    html_text,
    is_admin,
    later,
    place_of,
    register_place,
    usable_message,
)

router = Router(name=__name__)
router.message.filter(F.chat.type.in_({"private", "group", "supergroup"}))

LANGUAGE_NAMES = {"ar": "العربية", "en": "English"}
SUBCOMMANDS = {
    "lang": "lang",
    "language": "lang",
    "لغة": "lang",
    "اللغة": "lang",
    "tz": "tz",
    "timezone": "tz",
    "zone": "tz",
    "منطقة": "tz",
    "توقيت": "tz",
    "quiet": "quiet",
    "هدوء": "quiet",
    "level": "level",
    "مستوى": "level",
}


def quiet_label(settings: ChatSettings, lang: str) -> str:
    window = settings.quiet
    if window is None:
        return t("settings.quiet_off", lang)
    return f"{format_minutes(window[0])}–{format_minutes(window[1])}"


def settings_text(settings: ChatSettings, lang: str, clock: Clock, digest_minutes: int) -> str:
    """The /settings message (Telegram HTML)."""
    now = local_now(clock.now(), settings.timezone)
    lines = [
        f"<b>{html_text('settings.title', lang)}</b>",
        html_text("settings.language", lang, value=LANGUAGE_NAMES[settings.language]),
        html_text("settings.timezone", lang, value=settings.timezone, time=now.strftime("%H:%M")),
        html_text("settings.quiet", lang, value=quiet_label(settings, lang)),
        "",
        f"<b>{html_text('settings.topics', lang)}</b>",
    ]
    if not settings.subscriptions:
        lines.append(html_text("settings.no_topics", lang))
    for sub in settings.subscriptions:
        lines.append(f"• {escape_html(sub.topic.name(lang))} — {html_text(f'level.{sub.level}', lang)}")
    lines += [
        "",
        html_text("settings.digest_every", lang, minutes=digest_minutes),
        "",
        html_text("settings.hint", lang),
    ]
    return "\n".join(lines)


@router.message(Command("settings"))
async def settings_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    bot: Bot,
    settings: Settings,
    after_commit: list[AfterCommit],
) -> None:
    place = place_of(message)
    if place.is_group and not await admin_or_refuse(message, bot, lang):
        return
    args = (command.args or "").strip()
    if len(args) > MAX_ARGUMENT:
        later(after_commit, lambda: message.answer(html_text("input.too_long", lang, limit=MAX_ARGUMENT)))
        return
    await register_place(session, place, lang, clock)
    if args:
        _, text = await _apply(session, place, args, lang, clock)
        later(after_commit, lambda: message.answer(text))
        return
    current = await subscriptions.chat_settings(session, place.chat_id, place.thread_id)
    text = settings_text(current, lang, clock, settings.digest_minutes)
    markup = settings_keyboard(current, lang)
    later(after_commit, lambda: message.answer(text, reply_markup=markup))


async def _apply(session: AsyncSession, place: Place, args: str, lang: str, clock: Clock) -> tuple[str, str]:
    """Run a text sub-command; returns the language to answer in (it may just have changed) and the answer."""
    word, _, rest = args.partition(" ")
    action = SUBCOMMANDS.get(word.strip().lower())
    rest = rest.strip()
    if action is None or not rest:
        return lang, html_text("settings.usage", lang, hint=t("settings.hint", lang))
    if action == "lang":
        try:
            new = await subscriptions.set_language(session, chat_id=place.chat_id, language=rest, clock=clock)
        except ValidationError:
            return lang, html_text("settings.bad_language", lang, value=rest)
        return new, html_text("settings.lang_saved", new)
    if action == "tz":
        try:
            name = await subscriptions.set_timezone(
                session, chat_id=place.chat_id, timezone=rest, clock=clock
            )
        except ValidationError:
            return lang, html_text("settings.bad_timezone", lang, value=rest)
        return lang, html_text("settings.tz_saved", lang, value=name)
    if action == "quiet":
        try:
            window = subscriptions.parse_quiet_hours(rest)
            await subscriptions.set_quiet_hours(session, chat_id=place.chat_id, window=window, clock=clock)
        except ValidationError:
            return lang, html_text("settings.bad_quiet", lang, value=rest)
        label = t("settings.quiet_off", lang) if window is None else "–".join(map(format_minutes, window))
        return lang, html_text("settings.quiet_saved", lang, value=label)
    # level <topic> urgent|all — the level is the last word, the topic may have several
    topic_text, _, level_word = rest.rpartition(" ")
    level = {"urgent": "urgent", "عاجل": "urgent", "all": "all", "الكل": "all", "كل": "all"}.get(
        level_word.strip().lower()
    )
    if level is None or not topic_text.strip():
        return lang, html_text("settings.level_usage", lang)
    try:
        topic = await subscriptions.resolve_topic(session, topic_text)
    except (NotFound, ValidationError):
        names = ", ".join(topic.name(lang) for topic in await subscriptions.list_topics(session))
        return lang, html_text("topic.unknown", lang, topic=topic_text.strip()[:64], available=names)
    try:
        await subscriptions.set_level(
            session, chat_id=place.chat_id, topic_id=topic.id, level=level, thread_id=place.thread_id
        )
    except NotFound:
        return lang, html_text("topic.not_subscribed", lang, topic=topic.name(lang))
    return lang, html_text(
        "settings.level_saved", lang, topic=topic.name(lang), level=t(f"level.{level}", lang)
    )


@router.callback_query(SettingsCb.filter())
async def settings_button(
    query: CallbackQuery,
    callback_data: SettingsCb,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    bot: Bot,
    settings: Settings,
    after_commit: list[AfterCommit],
) -> None:
    message = usable_message(query)
    action, arg = callback_data.action, callback_data.arg
    valid = (
        (action is SettingsAction.TIMEZONE and 0 <= arg < len(TIMEZONE_PRESETS))
        or (action is SettingsAction.QUIET and -1 <= arg < len(QUIET_PRESETS))
        or action not in (SettingsAction.TIMEZONE, SettingsAction.QUIET)
    )
    if message is None or not valid:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    if not await is_admin(bot, message.chat, query.from_user):
        await query.answer(t("group.admin_only", lang), show_alert=True)
        return
    place = place_of(message)
    await register_place(session, place, lang, clock)
    notice: str | None = None
    text: str | None = None
    markup: InlineKeyboardMarkup | None = None
    if action is SettingsAction.TIMEZONE_MENU:
        text, markup = html_text("settings.tz_prompt", lang), timezone_keyboard(lang)
    elif action is SettingsAction.QUIET_MENU:
        current = await subscriptions.chat_settings(session, place.chat_id, place.thread_id)
        text, markup = html_text("settings.quiet_prompt", lang, tz=current.timezone), quiet_keyboard(lang)
    else:
        try:
            if action is SettingsAction.LANGUAGE:
                current = await subscriptions.chat_settings(session, place.chat_id, place.thread_id)
                lang = "en" if current.language == "ar" else "ar"
                await subscriptions.set_language(session, chat_id=place.chat_id, language=lang, clock=clock)
                notice = t("settings.lang_saved", lang)
            elif action is SettingsAction.TIMEZONE:
                name = TIMEZONE_PRESETS[arg]
                await subscriptions.set_timezone(session, chat_id=place.chat_id, timezone=name, clock=clock)
                notice = t("settings.tz_saved", lang, value=name)
            elif action is SettingsAction.QUIET:
                window = None if arg < 0 else QUIET_PRESETS[arg]
                await subscriptions.set_quiet_hours(
                    session, chat_id=place.chat_id, window=window, clock=clock
                )
                label = (
                    t("settings.quiet_off", lang) if window is None else "–".join(map(format_minutes, window))
                )
                notice = t("settings.quiet_saved", lang, value=label)
            elif action is SettingsAction.LEVEL:
                level = await subscriptions.toggle_level(
                    session, chat_id=place.chat_id, topic_id=arg, thread_id=place.thread_id
                )
                notice = t("settings.saved", lang) + " " + t(f"level.{level}", lang)
        except NotFound:
            later(after_commit, lambda: query.answer(t("callback.stale", lang), show_alert=True))
            return
        current = await subscriptions.chat_settings(session, place.chat_id, place.thread_id)
        text = settings_text(current, lang, clock, settings.digest_minutes)
        markup = settings_keyboard(current, lang)

    async def reply() -> None:
        await query.answer(notice)
        try:
            await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as e:
            if "not modified" not in e.message:
                raise

    later(after_commit, reply)


@router.message(Command("stop"))
async def stop(
    message: Message, session: AsyncSession, lang: str, bot: Bot, after_commit: list[AfterCommit]
) -> None:
    place = place_of(message)
    if place.is_group and not await admin_or_refuse(message, bot, lang):
        return
    kept = await subscriptions.forget_chat(session, place.chat_id)
    text = html_text("stop.done" if kept else "stop.nothing", lang)
    later(after_commit, lambda: message.answer(text))
