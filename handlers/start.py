"""/start (welcome + topic picker; ``/start topic_<slug>`` deep links subscribe at once) and /help."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.exceptions import NotFound, ValidationError
from bot.keyboards import topics_keyboard
from bot.middlewares import AfterCommit
from bot.services import subscriptions
from handlers.common import admin_or_refuse, html_text, later, place_of, register_place

router = Router(name=__name__)
router.message.filter(F.chat.type.in_({"private", "group", "supergroup"}))

DEEP_LINK_PREFIX = "topic_"


@router.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    bot: Bot,
    after_commit: list[AfterCommit],
) -> None:
    place = place_of(message)
    if place.is_group and not await admin_or_refuse(message, bot, lang):
        return
    await register_place(session, place, lang, clock)
    notes: list[str] = []
    payload = (command.args or "").strip()
    if payload.startswith(DEEP_LINK_PREFIX):
        wanted = payload.removeprefix(DEEP_LINK_PREFIX)
        try:
            topic = await subscriptions.resolve_topic(session, wanted)
        except (NotFound, ValidationError):
            names = ", ".join(topic.name(lang) for topic in await subscriptions.list_topics(session))
            notes.append(html_text("topic.unknown", lang, topic=wanted[:64], available=names))
        else:
            changed = await subscriptions.set_subscription(
                session,
                chat_id=place.chat_id,
                topic_id=topic.id,
                subscribed=True,
                clock=clock,
                thread_id=place.thread_id,
            )
            key = "topic.subscribed" if changed else "topic.already"
            notes.append(html_text(key, lang, topic=topic.name(lang)))
    items = await subscriptions.topics_with_state(session, place.chat_id, place.thread_id)
    welcome = "welcome.thread" if place.thread_id else "welcome.group" if place.is_group else "welcome"
    markup = topics_keyboard(items, lang)

    async def reply() -> None:
        for note in notes:
            await message.answer(note)
        await message.answer(html_text(welcome, lang), reply_markup=markup)

    later(after_commit, reply)


@router.message(Command("help"))
async def help_command(message: Message, lang: str) -> None:
    await message.answer(html_text("help", lang))
