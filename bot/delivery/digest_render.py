"""Digests: the stored body format and how a digest alert is rendered for Telegram — pure functions.

A digest is an :class:`~bot.db.models.Alert` with ``kind='digest'`` made for one subscriber (see
:mod:`bot.services.digest`). Its ``body`` lists the headlines as **plain text**, two lines per item::

    • headline one
      https://example.com/news/1
    • headline two (no link)

Why plain text and not JSON or HTML: rendered by the generic :func:`bot.delivery.render.render_alert`
(a sender that does not dispatch on ``kind``) it still reads well — Telegram clients turn the URLs
into links — while :func:`render_digest` parses it back (:func:`parse_digest_body`) into linked,
numbered headlines with one "full article" button per item. Headlines are single lines (the parsers
collapse whitespace; :func:`format_digest_body` does it again), so the format cannot be confused.

Invariants of :func:`render_digest`: every piece of text goes through aiogram's formatting nodes
(escaped), hrefs through ``html.escape``; at most :data:`MAX_ITEMS` items are shown, each headline
shortened, so the message stays far below 4096 characters; buttons carry ids only (alert id, item
index); digests are delivered silently.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from aiogram.utils.formatting import Bold, Text, TextLink

from bot.callbacks import DigestCb
from bot.delivery.render import AlertView, RenderedMessage, shorten
from bot.i18n import t

MAX_ITEMS = 20
"""Headlines listed in one digest; the rest are counted ("… and 7 more")."""
DIGEST_HEADLINE = 160
"""A digest line shows at most this much of a headline (cut at a word), so 20 lines fit one message."""
BUTTONS = 10
"""Items that get a "full article" button (Telegram keyboards stay usable up to about this many)."""

_BULLET = "• "
_LINK_INDENT = "  "


@dataclass(frozen=True, slots=True)
class DigestItem:
    headline: str
    url: str | None = None


def format_digest_body(items: Sequence[DigestItem], more: int = 0) -> str:
    """The stored body for ``items`` (see module docstring); ``more`` counts items left out."""
    lines: list[str] = []
    for item in items:
        headline = " ".join(item.headline.split())
        if not headline:
            continue
        lines.append(_BULLET + headline)
        url = (item.url or "").strip()
        if url.startswith(("http://", "https://")) and not any(c.isspace() for c in url):
            lines.append(_LINK_INDENT + url)
    if more > 0:
        lines.append(f"+{more}")
    return "\n".join(lines)


def parse_digest_body(body: str | None) -> tuple[list[DigestItem], int]:
    """The items and the "more" count of a stored digest body; tolerant of anything else."""
    items: list[DigestItem] = []
    more = 0
    for raw in (body or "").splitlines():
        line = raw.strip()
        if raw.startswith(_BULLET) and line[len(_BULLET.strip()) :].strip():
            items.append(DigestItem(line[len(_BULLET.strip()) :].strip()))
        elif raw.startswith(_LINK_INDENT) and line.startswith(("http://", "https://")) and items:
            if items[-1].url is None:
                items[-1] = DigestItem(items[-1].headline, line)
        elif line.startswith("+") and line[1:].isdigit():
            more = int(line[1:])
    return items, more


def render_digest(view: AlertView, *, lang: str, tz: ZoneInfo) -> RenderedMessage:
    """A digest alert as one silent message: title, numbered linked headlines, article buttons."""
    items, more = parse_digest_body(view.body)
    shown = items[:MAX_ITEMS]
    more += len(items) - len(shown)
    parts: list[Text | str] = [Bold(t("badge.normal", lang), " | ", shorten(view.headline, 200))]
    if view.when is not None:
        parts += ["\n", t("digest.until", lang, time=view.when.astimezone(tz).strftime("%H:%M %d/%m/%Y"))]
    for number, item in enumerate(shown, start=1):
        headline = shorten(item.headline, DIGEST_HEADLINE)
        parts.append(f"\n{number}. ")
        # aiogram puts the URL into href="" verbatim; escape it so "&" and quotes stay valid HTML.
        parts.append(TextLink(headline, url=html.escape(item.url)) if item.url else headline)
    if more:
        parts.append("\n" + t("digest.more", lang, count=more))
    node = Text(*parts)
    buttons = [
        InlineKeyboardButton(
            text=f"📄 {number}", callback_data=DigestCb(alert_id=view.alert_id, item=number - 1).pack()
        )
        for number, item in enumerate(shown[:BUTTONS], start=1)
        if item.url
    ]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    return RenderedMessage(
        text=node.as_html(),
        plain=node.render()[0],
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None,
        disable_notification=True,
        link_preview=LinkPreviewOptions(is_disabled=True),
    )
