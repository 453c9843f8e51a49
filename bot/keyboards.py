"""Inline keyboards (pure builders). Button payloads are ids from :mod:`bot.callbacks` only."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import ArticleCb, ChannelAction, ChannelCb, PageCb, SettingsAction, SettingsCb, TopicCb
from bot.i18n import t
from bot.services.articles import Headline
from bot.services.channels import ChannelInfo
from bot.services.subscriptions import ChatSettings, TopicInfo, format_minutes


def topics_keyboard(items: Sequence[tuple[TopicInfo, bool]], lang: str) -> InlineKeyboardMarkup:
    """Two topics per row, each showing ✅ when the chat is subscribed."""
    builder = InlineKeyboardBuilder()
    for topic, on in items:
        mark = "✅" if on else "⬜"
        builder.button(text=f"{mark} {topic.name(lang)}", callback_data=TopicCb(topic_id=topic.id))
    builder.adjust(2)
    return builder.as_markup()


def article_pages_keyboard(article_id: int, page: int, pages: int, lang: str) -> InlineKeyboardMarkup | None:
    """Previous/next buttons for a long article; ``None`` when it fits in one message.

    They are :class:`PageCb` buttons: pressing one *edits* the page message in place.
    """
    if pages <= 1:
        return None
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(
            text=t("button.prev_page", lang), callback_data=PageCb(article_id=article_id, page=page - 1)
        )
    if page < pages - 1:
        builder.button(
            text=t("button.next_page", lang), callback_data=PageCb(article_id=article_id, page=page + 1)
        )
    return builder.as_markup()


def latest_keyboard(headlines: Sequence[Headline]) -> InlineKeyboardMarkup | None:
    """One "full article" button per headline, numbered like the list in the message."""
    if not headlines:
        return None
    builder = InlineKeyboardBuilder()
    for number, item in enumerate(headlines, start=1):
        builder.button(text=f"📄 {number}", callback_data=ArticleCb(article_id=item.article_id))
    builder.adjust(4)
    return builder.as_markup()


TIMEZONE_PRESETS: tuple[str, ...] = (
    "UTC",
    "Asia/Riyadh",
    "Asia/Dubai",
    "Asia/Qatar",
    "Asia/Kuwait",
    "Asia/Baghdad",
    "Asia/Amman",
    "Asia/Beirut",
    "Asia/Damascus",
    "Asia/Gaza",
    "Africa/Cairo",
    "Africa/Khartoum",
    "Africa/Tripoli",
    "Africa/Tunis",
    "Africa/Algiers",
    "Africa/Casablanca",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
)
"""Time zones offered as buttons (index = the button's argument); any IANA name works by command."""

QUIET_PRESETS: tuple[tuple[int, int], ...] = (
    (22 * 60, 6 * 60),
    (23 * 60, 7 * 60),
    (0, 8 * 60),
    (1 * 60, 9 * 60),
)
"""Quiet-hour windows offered as buttons (minutes after local midnight); argument -1 switches off."""


def settings_keyboard(settings: ChatSettings, lang: str) -> InlineKeyboardMarkup:
    """One button per subscription (urgent only ⇄ all news), then quiet hours, time zone, language."""
    builder = InlineKeyboardBuilder()
    for sub in settings.subscriptions:
        level = t(f"level.{sub.level}", lang)
        builder.button(
            text=t("button.level", lang, topic=sub.topic.name(lang), level=level),
            callback_data=SettingsCb(action=SettingsAction.LEVEL, arg=sub.topic.id),
        )
    builder.button(text=t("button.quiet", lang), callback_data=SettingsCb(action=SettingsAction.QUIET_MENU))
    builder.button(
        text=t("button.timezone", lang), callback_data=SettingsCb(action=SettingsAction.TIMEZONE_MENU)
    )
    builder.button(text=t("button.language", lang), callback_data=SettingsCb(action=SettingsAction.LANGUAGE))
    builder.adjust(*([1] * len(settings.subscriptions)), 2, 1)
    return builder.as_markup()


def timezone_keyboard(lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, name in enumerate(TIMEZONE_PRESETS):
        builder.button(text=name, callback_data=SettingsCb(action=SettingsAction.TIMEZONE, arg=index))
    builder.button(text=t("button.back", lang), callback_data=SettingsCb(action=SettingsAction.MENU))
    builder.adjust(*([3] * (len(TIMEZONE_PRESETS) // 3)), len(TIMEZONE_PRESETS) % 3 or 3, 1)
    return builder.as_markup()


def quiet_keyboard(lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, (start, end) in enumerate(QUIET_PRESETS):
        label = f"{format_minutes(start)}–{format_minutes(end)}"
        builder.button(text=label, callback_data=SettingsCb(action=SettingsAction.QUIET, arg=index))
    builder.button(
        text=t("button.quiet_off", lang), callback_data=SettingsCb(action=SettingsAction.QUIET, arg=-1)
    )
    builder.button(text=t("button.back", lang), callback_data=SettingsCb(action=SettingsAction.MENU))
    builder.adjust(2, 2, 1, 1)
    return builder.as_markup()


CHANNEL_LEVEL_CODES: tuple[str, ...] = ("urgent", "all")
"""``ChannelCb(action=ChannelAction.LEVEL).value`` indexes this tuple."""


def channels_keyboard(items: Sequence[ChannelInfo]) -> InlineKeyboardMarkup | None:
    """One button per channel, opening its panel."""
    if not items:
        return None
    builder = InlineKeyboardBuilder()
    for item in items:
        mark = {"active": "🟢", "missing_rights": "🟠", "paused": "⏸"}.get(item.status, "🔴")
        builder.button(
            text=f"{mark} {item.label}"[:60],
            callback_data=ChannelCb(action=ChannelAction.OPEN, channel_id=item.id),
        )
    builder.adjust(1)
    return builder.as_markup()


def channel_keyboard(channel: ChannelInfo, topics: Sequence[TopicInfo], lang: str) -> InlineKeyboardMarkup:
    """A channel's panel: topic toggles, the level, pause/resume and back — or only back when the
    sources file manages the channel."""
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    if channel.managed_by != "file":
        for topic in topics:
            mark = "✅" if topic.slug in channel.topics else "⬜"
            builder.button(
                text=f"{mark} {topic.name(lang)}",
                callback_data=ChannelCb(action=ChannelAction.TOPIC, channel_id=channel.id, value=topic.id),
            )
        sizes += [2] * (len(topics) // 2) + ([1] if len(topics) % 2 else [])
        other = "all" if channel.level == "urgent" else "urgent"
        builder.button(
            text=t(f"channel.button.level_{other}", lang),
            callback_data=ChannelCb(
                action=ChannelAction.LEVEL, channel_id=channel.id, value=CHANNEL_LEVEL_CODES.index(other)
            ),
        )
        paused = channel.status == "paused"
        builder.button(
            text=t("channel.button.resume" if paused else "channel.button.pause", lang),
            callback_data=ChannelCb(
                action=ChannelAction.PAUSE, channel_id=channel.id, value=0 if paused else 1
            ),
        )
        sizes.append(2)
    builder.button(text=t("channel.button.back", lang), callback_data=ChannelCb(action=ChannelAction.LIST))
    sizes.append(1)
    builder.adjust(*sizes)
    return builder.as_markup()
