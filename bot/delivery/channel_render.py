"""Rendering one alert as a channel post — a pure function on top of :func:`render_alert`.

A channel post shows what a private push shows (badge, headline, topics, source and time, link) plus
the channel's signature, but its buttons are **URL buttons only**: a callback button in a channel
would be pressed by thousands of readers the bot never talks to, and its answer could only be an
alert. "Full article" therefore deep-links into the bot's private chat
(``https://t.me/<bot>?start=art_<article id>``); the ``/start`` handler there opens the article
(:mod:`handlers.channels`). Start payloads are limited to 64 characters of ``A-Za-z0-9_-``: the
payload is ``art_`` and the numeric id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.formatting import Italic

from bot.delivery.render import AlertView, RenderedMessage, render_alert
from bot.i18n import t

START_PREFIX = "art_"
START_PAYLOAD = re.compile(r"^art_(\d{1,18})$")


@dataclass(frozen=True, slots=True)
class ChannelStyle:
    """What differs per channel: the bot's username (for deep links) and the channel's signature."""

    bot_username: str
    signature: str | None = None


def deep_link(bot_username: str, article_id: int) -> str:
    """The t.me link that opens article ``article_id`` in the bot's private chat."""
    return f"https://t.me/{bot_username}?start={START_PREFIX}{article_id}"


def article_of_payload(payload: str | None) -> int | None:
    """The article id in a ``/start`` payload made by :func:`deep_link`, else None."""
    match = START_PAYLOAD.match((payload or "").strip())
    return int(match.group(1)) if match else None


def render_channel_post(view: AlertView, *, lang: str, tz: ZoneInfo, style: ChannelStyle) -> RenderedMessage:
    message = render_alert(view, lang=lang, tz=tz)
    text, plain = message.text, message.plain
    if style.signature:
        text += "\n\n" + Italic(style.signature).as_html()
        plain += "\n\n" + style.signature
    buttons: list[InlineKeyboardButton] = []
    if view.article_id is not None and style.bot_username:
        buttons.append(
            InlineKeyboardButton(
                text=t("button.full_article", lang), url=deep_link(style.bot_username, view.article_id)
            )
        )
    if view.url:
        buttons.append(InlineKeyboardButton(text=t("button.open_link", lang), url=view.url))
    markup = InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None
    return replace(message, text=text, plain=plain, reply_markup=markup)
