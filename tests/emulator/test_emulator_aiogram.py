"""The real aiogram 3 bot against the emulator: polling, handlers, callbacks, edits, and error mapping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandStart
from aiogram.methods import TelegramMethod
from aiogram.types import (
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)

from bot.domain import ChatKind
from bot.emulator import ApiError, Emulator, EmulatorClient, EmulatorServer, MemberStatus

WELCOME = '<b>أهلاً بك في عاجل</b> 🚨\nاختر <a href="https://example.com/topics">المواضيع</a>:'
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="سياسة", callback_data="topic:politics")]]
)


def make_bot(server: EmulatorServer, token: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.url))
    return Bot(token or server.token, session=session)


@pytest.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    instance = make_bot(server)
    yield instance
    await instance.session.close()


Polling = Callable[[Router], Awaitable[None]]


@pytest.fixture
async def polling(bot: Bot) -> AsyncIterator[Polling]:
    """Start ``Dispatcher.start_polling`` with the given router; stopped at teardown."""
    tasks: list[tuple[Dispatcher, asyncio.Task[None]]] = []

    async def start(router: Router) -> None:
        dp = Dispatcher()
        dp.include_router(router)
        task = asyncio.create_task(
            dp.start_polling(bot, polling_timeout=1, handle_signals=False, close_bot_session=False)
        )
        tasks.append((dp, task))

    yield start
    for dp, task in tasks:
        if not task.done():
            await dp.stop_polling()
        await task


def news_router() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(
            WELCOME,
            parse_mode="HTML",
            reply_markup=KEYBOARD,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    @router.callback_query(F.data.startswith("topic:"))
    async def choose(callback: CallbackQuery) -> None:
        assert isinstance(callback.message, Message)
        await callback.answer("تم الاشتراك ✅")
        await callback.message.edit_text("<i>مشترك في: سياسة</i>", parse_mode="HTML")

    @router.message(Command("ping"))
    async def ping(message: Message) -> None:
        await message.answer("pong")

    return router


async def test_start_reply_button_press_answer_and_edit_through_real_aiogram(
    tg: EmulatorClient, polling: Polling
) -> None:
    await tg.create_user("ليلى", user_id=1001, language_code="ar")
    await polling(news_router())
    sent = await tg.start(1001)
    assert sent.message.entities == [{"type": "bot_command", "offset": 0, "length": 6}]

    [welcome] = await tg.wait_for_messages(1001, 1)
    assert welcome.html == WELCOME
    assert welcome.text == "أهلاً بك في عاجل 🚨\nاختر المواضيع:"
    assert welcome.entities == [
        {"type": "bold", "offset": 0, "length": 16},
        {"type": "text_link", "offset": 25, "length": 8, "url": "https://example.com/topics"},
    ]
    assert welcome.callback_data == ["topic:politics"]
    assert welcome.options["link_preview_options"] == {"is_disabled": True}

    pressed = await tg.press(1001, welcome.message_id, data="topic:politics")
    answer = await tg.callback(pressed.id, wait=5)
    assert (answer.answered, answer.text, answer.show_alert) == (True, "تم الاشتراك ✅", False)

    for _ in range(100):
        [current] = await tg.messages(1001)
        if current.edited:
            break
        await asyncio.sleep(0.02)
    assert current.text == "مشترك في: سياسة" and current.html == "<i>مشترك في: سياسة</i>"
    assert current.reply_markup is None and current.edited and not current.deleted
    assert [v.text for v in current.history] == [welcome.text, "مشترك في: سياسة"]

    methods = [c.method for c in await tg.calls() if c.method != "getUpdates"]
    assert methods == ["getMe", "sendMessage", "answerCallbackQuery", "editMessageText"]
    assert all(c.ok for c in await tg.calls())


async def test_group_command_reply_stays_in_its_forum_topic(
    tg: EmulatorClient, emulator: Emulator, polling: Polling
) -> None:
    owner = await tg.create_user("Editor", user_id=2001)
    forum = await tg.create_chat("supergroup", "Desk", is_forum=True, creator_id=owner.id)
    await tg.add_bot(forum.id, admin=True)
    topic = await tg.add_topic(forum.id, "عاجل")
    await polling(news_router())
    await tg.send(owner.id, "/ping@aajel_test_bot", chat_id=forum.id, message_thread_id=topic)
    [pong] = await tg.wait_for_messages(forum.id, 1)
    assert (pong.text, pong.message_thread_id) == ("pong", topic)


async def test_bot_sees_being_added_and_blocked_as_my_chat_member(
    tg: EmulatorClient, polling: Polling
) -> None:
    seen: list[tuple[int, str]] = []
    router = Router()

    @router.my_chat_member()
    async def member(update: ChatMemberUpdated) -> None:
        seen.append((update.chat.id, update.new_chat_member.status))

    await tg.create_user("Layla", user_id=3001, started=True)
    owner = await tg.create_user("Owner", user_id=3002)
    group = await tg.create_chat("group", "Family", creator_id=owner.id)
    await polling(router)
    await tg.add_bot(group.id)
    await tg.block(3001)
    await tg.kick_bot(group.id)
    for _ in range(100):
        if len(seen) == 3:
            break
        await asyncio.sleep(0.02)
    assert seen == [(group.id, "member"), (3001, "kicked"), (group.id, "kicked")]


async def test_api_errors_map_to_aiogram_exceptions(
    bot: Bot, emulator: Emulator, server: EmulatorServer
) -> None:
    user = emulator.add_user("Layla", user_id=4001, started=True).id
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(user, "<p>x</p>", parse_mode="HTML")

    emulator.faults.inject(ApiError.too_many_requests(3), method="sendMessage")
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(user, "x")
    assert flood.value.retry_after == 3

    owner = emulator.add_user("Owner", user_id=4002).id
    group = emulator.create_chat(ChatKind.GROUP, "G", creator_id=owner)
    emulator.set_bot_status(group.id, MemberStatus.MEMBER)
    new = emulator.migrate(group.id)
    with pytest.raises(TelegramMigrateToChat) as migrated:
        await bot.send_message(group.id, "x")
    assert migrated.value.migrate_to_chat_id == new.id

    emulator.set_blocked(user, True)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(user, "x")

    class Telepathy(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "sendTelepathy"

    with pytest.raises(TelegramNotFound, match="method not found"):
        await bot(Telepathy())

    stranger = make_bot(server, "42:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    await stranger.session.close()
