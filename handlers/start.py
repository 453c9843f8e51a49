"""/start: register the chat, greet it, show the topic picker. ``/start topic_<slug>`` subscribes."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain import ChatKind
from bot.exceptions import NotFound
from bot.i18n import t
from bot.keyboards import topics_keyboard
from bot.services import subscriptions

router = Router(name=__name__)


@router.message(CommandStart())
async def start(
    message: Message, command: CommandObject, session: AsyncSession, clock: Clock, lang: str
) -> None:
    chat = message.chat
    await subscriptions.register_chat(
        session,
        chat_id=chat.id,
        kind=ChatKind(chat.type),
        language=lang,
        clock=clock,
        title=chat.title or chat.full_name,
        username=chat.username,
    )
    thread_id = message.message_thread_id if message.is_topic_message else 0
    if command.args and command.args.startswith("topic_"):
        slug = command.args.removeprefix("topic_")
        try:
            topic = await subscriptions.find_topic(session, slug=slug)
        except NotFound:
            await message.answer(t("topic.unknown", lang, topic=slug, available=""))
        else:
            await subscriptions.set_subscription(
                session,
                chat_id=chat.id,
                topic_id=topic.id,
                subscribed=True,
                clock=clock,
                thread_id=thread_id or 0,
            )
            await message.answer(t("topic.subscribed", lang, topic=topic.name(lang)))
    items = await subscriptions.topics_with_state(session, chat.id, thread_id or 0)
    await message.answer(t("welcome", lang), reply_markup=topics_keyboard(items, lang))
