"""/topics and the topic toggle buttons."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InaccessibleMessage, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import TopicCb
from bot.clock import Clock
from bot.domain import ChatKind
from bot.exceptions import NotFound
from bot.i18n import t
from bot.keyboards import topics_keyboard
from bot.services import subscriptions

router = Router(name=__name__)


@router.message(Command("topics"))
async def show_topics(message: Message, session: AsyncSession, clock: Clock, lang: str) -> None:
    await subscriptions.register_chat(
        session, chat_id=message.chat.id, kind=ChatKind(message.chat.type), language=lang, clock=clock
    )
    thread_id = message.message_thread_id if message.is_topic_message else 0
    items = await subscriptions.topics_with_state(session, message.chat.id, thread_id or 0)
    if not items:
        await message.answer(t("topics.none", lang))
        return
    await message.answer(t("topics.prompt", lang), reply_markup=topics_keyboard(items, lang))


@router.callback_query(TopicCb.filter())
async def toggle(
    query: CallbackQuery, callback_data: TopicCb, session: AsyncSession, clock: Clock, lang: str
) -> None:
    message = query.message
    if message is None or isinstance(message, InaccessibleMessage):
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    thread_id = (message.message_thread_id if message.is_topic_message else 0) or 0
    try:
        topic, on = await subscriptions.toggle_topic(
            session,
            chat_id=message.chat.id,
            topic_id=callback_data.topic_id,
            clock=clock,
            thread_id=thread_id,
        )
    except NotFound:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    items = await subscriptions.topics_with_state(session, message.chat.id, thread_id)
    await message.edit_reply_markup(reply_markup=topics_keyboard(items, lang))
    key = "topic.subscribed" if on else "topic.unsubscribed"
    await query.answer(t(key, lang, topic=topic.name(lang)))
