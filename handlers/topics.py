"""Topic subscriptions: /topics and its toggle buttons, /subscribe, /unsubscribe, /mytopics.

In groups only admins change subscriptions (reading them is open to all members); in a forum
thread the subscription belongs to that thread, so pushes go there.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import TopicCb
from bot.clock import Clock
from bot.exceptions import NotFound, ValidationError
from bot.i18n import t
from bot.keyboards import topics_keyboard
from bot.middlewares import AfterCommit
from bot.services import subscriptions
from bot.services.subscriptions import MAX_ARGUMENT, TopicInfo
from handlers.common import (
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

ALL_WORDS = frozenset({"all", "الكل", "كل", "الجميع", "*"})


async def _available(session: AsyncSession, lang: str) -> str:
    return ", ".join(topic.name(lang) for topic in await subscriptions.list_topics(session))


async def _resolve(session: AsyncSession, text: str, lang: str) -> TopicInfo | str:
    """The topic ``text`` names, or the (HTML) message explaining why there is none."""
    try:
        return await subscriptions.resolve_topic(session, text)
    except ValidationError:
        return html_text("input.too_long", lang, limit=MAX_ARGUMENT)
    except NotFound:
        return html_text(
            "topic.unknown", lang, topic=text.strip()[:64], available=await _available(session, lang)
        )


@router.message(Command("topics"))
async def show_topics(
    message: Message, session: AsyncSession, lang: str, after_commit: list[AfterCommit]
) -> None:
    place = place_of(message)
    items = await subscriptions.topics_with_state(session, place.chat_id, place.thread_id)
    if not items:
        text, markup = html_text("topics.none", lang), None
    else:
        text = html_text("topics.prompt.thread" if place.thread_id else "topics.prompt", lang)
        markup = topics_keyboard(items, lang)
    later(after_commit, lambda: message.answer(text, reply_markup=markup))


@router.callback_query(TopicCb.filter())
async def toggle(
    query: CallbackQuery,
    callback_data: TopicCb,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    bot: Bot,
    after_commit: list[AfterCommit],
) -> None:
    message = usable_message(query)
    if message is None:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    if not await is_admin(bot, message.chat, query.from_user):
        await query.answer(t("group.admin_only", lang), show_alert=True)
        return
    place = place_of(message)
    await register_place(session, place, lang, clock)
    try:
        topic, on = await subscriptions.toggle_topic(
            session,
            chat_id=place.chat_id,
            topic_id=callback_data.topic_id,
            clock=clock,
            thread_id=place.thread_id,
        )
    except NotFound:
        later(after_commit, lambda: query.answer(t("callback.stale", lang), show_alert=True))
        return
    items = await subscriptions.topics_with_state(session, place.chat_id, place.thread_id)
    markup = topics_keyboard(items, lang)
    notice = t("topic.subscribed" if on else "topic.unsubscribed", lang, topic=topic.name(lang))

    async def reply() -> None:
        await query.answer(notice)
        await message.edit_reply_markup(reply_markup=markup)

    later(after_commit, reply)


@router.message(Command("subscribe"))
async def subscribe(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    bot: Bot,
    after_commit: list[AfterCommit],
) -> None:
    place = place_of(message)
    if not (command.args or "").strip():
        usage = html_text("subscribe.usage", lang, available=await _available(session, lang))
        later(after_commit, lambda: message.answer(usage))
        return
    if place.is_group and not await admin_or_refuse(message, bot, lang):
        return
    found = await _resolve(session, command.args or "", lang)
    if isinstance(found, str):
        later(after_commit, lambda: message.answer(found))
        return
    await register_place(session, place, lang, clock)
    changed = await subscriptions.set_subscription(
        session,
        chat_id=place.chat_id,
        topic_id=found.id,
        subscribed=True,
        clock=clock,
        thread_id=place.thread_id,
    )
    text = html_text("topic.subscribed" if changed else "topic.already", lang, topic=found.name(lang))
    later(after_commit, lambda: message.answer(text))


@router.message(Command("unsubscribe"))
async def unsubscribe(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    bot: Bot,
    after_commit: list[AfterCommit],
) -> None:
    place = place_of(message)
    args = (command.args or "").strip()
    if not args:
        later(after_commit, lambda: message.answer(html_text("unsubscribe.usage", lang)))
        return
    if place.is_group and not await admin_or_refuse(message, bot, lang):
        return
    if args.lower() in ALL_WORDS:
        try:
            count = await subscriptions.unsubscribe_all(
                session, chat_id=place.chat_id, thread_id=place.thread_id
            )
        except NotFound:
            count = 0
        text = html_text("unsubscribe.all", lang, count=count)
        later(after_commit, lambda: message.answer(text))
        return
    found = await _resolve(session, args, lang)
    if isinstance(found, str):
        later(after_commit, lambda: message.answer(found))
        return
    try:
        changed = await subscriptions.set_subscription(
            session,
            chat_id=place.chat_id,
            topic_id=found.id,
            subscribed=False,
            clock=clock,
            thread_id=place.thread_id,
        )
    except NotFound:  # never started: nothing to unsubscribe from
        changed = False
    text = html_text(
        "topic.unsubscribed" if changed else "topic.not_subscribed", lang, topic=found.name(lang)
    )
    later(after_commit, lambda: message.answer(text))


@router.message(Command("mytopics"))
async def my_topics(
    message: Message, session: AsyncSession, lang: str, after_commit: list[AfterCommit]
) -> None:
    place = place_of(message)
    subs = await subscriptions.subscriptions_of(session, place.chat_id)
    if not subs:
        later(after_commit, lambda: message.answer(html_text("mytopics.none", lang)))
        return
    lines = [html_text("mytopics.header", lang)]
    for sub in subs:
        line = f"• <b>{escape_html(sub.topic.name(lang))}</b> — {html_text(f'level.{sub.level}', lang)}"
        if sub.thread_id:
            line += " " + html_text("mytopics.thread", lang, thread=sub.thread_id)
        lines.append(line)
    text = "\n".join(lines)
    later(after_commit, lambda: message.answer(text))
