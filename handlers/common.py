"""What the subscriber handlers share: where a message was sent, who may change things, and replying
only after the update's transaction has committed.

* :class:`Place` — the chat, the forum thread (0 = the whole chat) and the chat kind. A message in a
  forum thread carries ``message_thread_id`` *and* ``is_topic_message``; replies to other messages
  in non-forum groups carry a ``message_thread_id`` too, which is not a thread: only the former
  counts.
* :func:`is_admin` — in groups and supergroups only administrators change subscriptions and
  settings; checked with ``getChatMember`` (anonymous admins post as the group itself and count as
  admins). Private chats belong to their user. A failed check refuses (never grants).
* :func:`later` — handlers reply through the update's ``after_commit`` hooks: the reply is sent
  after the transaction commits, so the database (SQLite takes the write lock for a transaction) is
  never held across a Telegram round trip, and nothing is announced that might still roll back.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Chat, InaccessibleMessage, Message, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain import ChatKind
from bot.i18n import t
from bot.middlewares import AfterCommit
from bot.services import subscriptions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Place:
    chat_id: int
    thread_id: int
    kind: ChatKind
    title: str | None = None
    username: str | None = None

    @property
    def is_group(self) -> bool:
        return self.kind in (ChatKind.GROUP, ChatKind.SUPERGROUP)


def place_of(message: Message) -> Place:
    chat = message.chat
    thread = message.message_thread_id if message.is_topic_message else None
    title = chat.title or chat.full_name
    return Place(chat.id, thread or 0, ChatKind(chat.type), title, chat.username)


def escape_html(value: object) -> str:
    """Escape a value for Telegram HTML (every message here is sent with the HTML parse mode)."""
    return html.escape(str(value), quote=False)


def html_text(key: str, lang: str, **kwargs: object) -> str:
    """The catalogue string ``key`` as Telegram HTML: the template and every argument escaped."""
    template = escape_html(t(key, lang))
    return (
        template.format(**{name: escape_html(value) for name, value in kwargs.items()})
        if kwargs
        else template
    )


def later(after_commit: list[AfterCommit], action: Callable[[], Awaitable[object]]) -> None:
    """Run ``action`` (a reply) once the update's transaction has committed."""

    async def hook() -> None:
        await action()

    after_commit.append(hook)


async def is_admin(bot: Bot, chat: Chat, user: User | None, sender_chat: Chat | None = None) -> bool:
    if chat.type == ChatType.PRIVATE:
        return True
    if sender_chat is not None and sender_chat.id == chat.id:
        return True  # an anonymous admin posts as the group itself
    if user is None:
        return False
    try:
        member = await bot.get_chat_member(chat.id, user.id)
    except TelegramAPIError:
        log.warning("could not check the rights of %s in %s", user.id, chat.id, exc_info=True)
        return False
    return member.status in (ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR)


async def admin_or_refuse(message: Message, bot: Bot, lang: str) -> bool:
    """True if the sender may change this chat; otherwise politely says why not and returns False."""
    if await is_admin(bot, message.chat, message.from_user, message.sender_chat):
        return True
    await message.reply(html_text("group.admin_only", lang))
    return False


def usable_message(query: CallbackQuery) -> Message | None:
    """The message a button was pressed on, or None when Telegram no longer gives it to us."""
    message = query.message
    if message is None or isinstance(message, InaccessibleMessage):
        return None
    return message


async def register_place(session: AsyncSession, place: Place, lang: str, clock: Clock) -> None:
    """Create or reactivate the subscriber for the chat a command came from."""
    await subscriptions.register_chat(
        session,
        chat_id=place.chat_id,
        kind=place.kind,
        language=lang,
        clock=clock,
        title=place.title,
        username=place.username,
    )
