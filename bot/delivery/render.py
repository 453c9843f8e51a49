"""Rendering one alert for one recipient — a pure function.

Invariants:

* Text from sources is never pasted into HTML: every piece goes through aiogram's formatting nodes,
  which escape it; the result is valid Telegram HTML by construction.
* The message stays under Telegram's limits: the headline is shortened (at a word boundary) so the
  whole text is far below 4096 characters; button payloads are ids only (< 64 bytes).
* RTL-safe: an Arabic message starts with an Arabic badge, and Latin fragments (source names, URLs)
  sit on their own lines so the bidi algorithm cannot reorder them into the headline.
* Flash and urgent notify with sound; normal items are delivered silently.
* An update of a pushed story (``kind='update'``) carries the badge "🔄 تحديث" / "🔄 Update" in the
  recipient's language instead of the urgency badge; the sender sends it as a reply to the earlier
  push, so the badge and the reply together say "this changed". An escalation looks like any
  breaking story (for its readers it is the first push).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from aiogram.utils.formatting import Bold, Italic, Strikethrough, Text, TextLink, as_line

from bot.callbacks import ArticleCb
from bot.domain import MAX_BODY, MAX_HEADLINE, Urgency
from bot.i18n import t


@dataclass(frozen=True, slots=True)
class AlertView:
    """What a push shows, read from the alert row and its topics."""

    alert_id: int
    headline: str
    urgency: Urgency
    topic_names: tuple[tuple[str, str], ...] = ()  # (Arabic, English) per topic
    source_name: str | None = None
    when: datetime | None = None
    url: str | None = None
    article_id: int | None = None
    body: str | None = None
    corrected: bool = False  # the headline is an editor's correction: say so on the first line
    kind: str = "story"  # alerts.kind; "digest" is rendered by bot.delivery.digest_render.render_digest;
    # "update" gets the update badge


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    text: str  # Telegram HTML
    plain: str  # the same message without markup, for the "can't parse entities" fallback
    reply_markup: InlineKeyboardMarkup | None
    disable_notification: bool
    link_preview: LinkPreviewOptions


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def render_alert(view: AlertView, *, lang: str, tz: ZoneInfo) -> RenderedMessage:
    badge = t("badge.update" if view.kind == "update" else f"badge.{view.urgency.value}", lang)
    lines: list[Text] = [as_line(Bold(badge), " | ", Bold(shorten(view.headline, MAX_HEADLINE)), end="")]
    if view.corrected:
        headline = Bold(shorten(view.headline, MAX_HEADLINE))
        lines[0] = as_line(Bold(badge), " | ", Italic(t("push.corrected", lang)), " ", headline, end="")
    if view.body:
        lines.append(Text(shorten(view.body, MAX_BODY)))
    meta: list[str] = []
    if view.topic_names:
        names = [en if lang == "en" else ar for ar, en in view.topic_names]
        meta.append(t("topic_line", lang, topics=("، " if lang == "ar" else ", ").join(names)))
    if view.source_name:
        source = view.source_name
        if view.when is not None:
            source += " · " + view.when.astimezone(tz).strftime("%H:%M %d/%m/%Y")
        meta.append(t("source_line", lang, source=source))
    for item in meta:
        lines.append(Italic(item))
    if view.url:
        # aiogram puts the URL into href="" verbatim; escape it so "&" and quotes stay valid HTML.
        lines.append(TextLink("🔗 " + (urlsplit(view.url).hostname or view.url), url=html.escape(view.url)))
    node = Text(*_join(lines))
    text = node.as_html()

    buttons: list[InlineKeyboardButton] = []
    if view.article_id is not None:
        buttons.append(
            InlineKeyboardButton(
                text=t("button.full_article", lang),
                callback_data=ArticleCb(article_id=view.article_id).pack(),
            )
        )
    if view.url:
        buttons.append(InlineKeyboardButton(text=t("button.open_link", lang), url=view.url))
    markup = InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None
    return RenderedMessage(
        text=text,
        plain=node.render()[0],
        reply_markup=markup,
        disable_notification=not view.urgency.is_breaking,
        link_preview=LinkPreviewOptions(is_disabled=view.url is None, url=view.url, prefer_small_media=True),
    )


def render_retraction(view: AlertView, *, lang: str) -> RenderedMessage:
    """What a retracted copy becomes when it is too old to delete (≥ 48 h): a notice, the headline
    struck through, no buttons (editing without ``reply_markup`` removes the keyboard) and no preview."""
    node = Text(Bold(t("push.retracted", lang)), "\n", Strikethrough(shorten(view.headline, MAX_HEADLINE)))
    return RenderedMessage(
        text=node.as_html(),
        plain=node.render()[0],
        reply_markup=None,
        disable_notification=True,
        link_preview=LinkPreviewOptions(is_disabled=True),
    )


__all__ = ["MAX_HEADLINE", "AlertView", "RenderedMessage", "render_alert", "render_retraction", "shorten"]


def _join(parts: list[Text]) -> list[Text | str]:
    out: list[Text | str] = []
    for index, part in enumerate(parts):
        if index:
            out.append("\n")
        out.append(part)
    return out
