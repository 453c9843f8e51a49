"""/latest [topic]: the newest headlines — of one topic, else of the chat's topics, else of all —
numbered, each with a "full article" button."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery.render import shorten
from bot.exceptions import NotFound, ValidationError
from bot.i18n import t
from bot.keyboards import latest_keyboard
from bot.middlewares import AfterCommit
from bot.services import subscriptions
from bot.services.articles import recent_headlines
from bot.services.subscriptions import MAX_ARGUMENT, local_now
from handlers.common import escape_html, html_text, later, place_of

router = Router(name=__name__)
router.message.filter(F.chat.type.in_({"private", "group", "supergroup"}))

LATEST_COUNT = 8
LATEST_HEADLINE = 200
"""A /latest line shows at most this much of a headline (cut at a word), so the list stays one screen."""


@router.message(Command("latest"))
async def latest(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    lang: str,
    settings: Settings,
    after_commit: list[AfterCommit],
) -> None:
    place = place_of(message)
    args = (command.args or "").strip()
    header = html_text("latest.header", lang)
    topic_ids: list[int] | None = None
    if args:
        try:
            topic = await subscriptions.resolve_topic(session, args)
        except ValidationError:
            later(after_commit, lambda: message.answer(html_text("input.too_long", lang, limit=MAX_ARGUMENT)))
            return
        except NotFound:
            names = ", ".join(topic.name(lang) for topic in await subscriptions.list_topics(session))
            error = html_text("topic.unknown", lang, topic=args[:64], available=names)
            later(after_commit, lambda: message.answer(error))
            return
        topic_ids = [topic.id]
        header = html_text("latest.header_topic", lang, topic=topic.name(lang))
    else:
        mine = await subscriptions.subscriptions_of(session, place.chat_id, place.thread_id)
        topic_ids = [subscription.topic.id for subscription in mine] or None
    items = await recent_headlines(session, topic_ids=topic_ids, limit=LATEST_COUNT)
    if not items:
        later(after_commit, lambda: message.answer(html_text("latest.none", lang)))
        return
    try:
        timezone = (await subscriptions.chat_settings(session, place.chat_id)).timezone
    except NotFound:
        timezone = settings.display_timezone
    lines = [f"<b>{header}</b>"]
    for number, item in enumerate(items, start=1):
        badge = "🔴 " if item.urgency.is_breaking else ""
        when = local_now(item.detected_at, timezone).strftime("%H:%M")
        meta = " · ".join(part for part in (item.source_name, when) if part)
        lines.append(
            f"{number}. {badge}{escape_html(shorten(item.headline, LATEST_HEADLINE))} <i>({escape_html(meta)})</i>"
        )
    lines.append(f"\n<i>{escape_html(t('latest.hint', lang))}</i>")
    text = "\n".join(lines)
    markup = latest_keyboard(items)
    later(after_commit, lambda: message.answer(text, reply_markup=markup))
