"""Inline keyboards (pure builders). Button payloads are ids from :mod:`bot.callbacks` only."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import ArticleCb, TopicCb
from bot.i18n import t
from bot.services.subscriptions import TopicInfo


def topics_keyboard(items: Sequence[tuple[TopicInfo, bool]], lang: str) -> InlineKeyboardMarkup:
    """Two topics per row, each showing ✅ when the chat is subscribed."""
    builder = InlineKeyboardBuilder()
    for topic, on in items:
        mark = "✅" if on else "⬜"
        builder.button(text=f"{mark} {topic.name(lang)}", callback_data=TopicCb(topic_id=topic.id))
    builder.adjust(2)
    return builder.as_markup()


def article_pages_keyboard(article_id: int, page: int, pages: int, lang: str) -> InlineKeyboardMarkup | None:
    """Previous/next buttons for a long article; ``None`` when it fits in one message."""
    if pages <= 1:
        return None
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(
            text=t("button.prev_page", lang), callback_data=ArticleCb(article_id=article_id, page=page - 1)
        )
    if page < pages - 1:
        builder.button(
            text=t("button.next_page", lang), callback_data=ArticleCb(article_id=article_id, page=page + 1)
        )
    return builder.as_markup()
