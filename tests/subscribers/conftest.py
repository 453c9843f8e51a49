"""Subscriber tests: the e2e ``stack`` (real Aajel + Bot API emulator + sample newsroom over HTTP,
on SQLite and PostgreSQL) and a small conversation helper.

:class:`Talk` is one user talking in one chat (private, group, or a forum thread): ``say`` sends a
message and returns the bot's new messages in that chat (thread), ``press`` taps a button and returns
the callback answer. Waiting is by long-polling the emulator, never by sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.emulator.client import CallbackView, EmulatorClient, MessageView
from tests.e2e.conftest import Stack, stack, wait_until

__all__ = ["Stack", "Talk", "stack", "wait_until"]


@dataclass
class Talk:
    tg: EmulatorClient
    user_id: int
    chat_id: int
    thread_id: int | None = None

    async def bot_messages(self) -> list[MessageView]:
        messages = await self.tg.messages(self.chat_id)
        if self.thread_id is None:
            return messages
        return [m for m in messages if m.message_thread_id == self.thread_id]

    async def say(self, text: str, replies: int = 1, *, within: float = 10.0) -> list[MessageView]:
        """Send ``text``; wait for ``replies`` new bot messages in the chat and return them."""
        before = len(await self.tg.messages(self.chat_id))
        await self.tg.send(
            self.user_id,
            text,
            chat_id=None if self.chat_id == self.user_id else self.chat_id,
            message_thread_id=self.thread_id,
        )
        messages = await self.tg.wait_for_messages(self.chat_id, before + replies, within=within)
        return messages[before:]

    async def last(self) -> MessageView:
        return (await self.tg.messages(self.chat_id))[-1]

    async def press(
        self, message: MessageView, data: str | None = None, *, text: str | None = None
    ) -> CallbackView:
        """Tap a button of ``message`` (by callback data or text) and wait for the bot's answer."""
        callback = await self.tg.press(
            self.user_id,
            message.message_id,
            chat_id=None if self.chat_id == self.user_id else self.chat_id,
            data=data,
            text=text,
        )
        return await self.tg.callback(callback.id, wait=10)

    async def message(self, message_id: int) -> MessageView:
        return next(m for m in await self.tg.messages(self.chat_id) if m.message_id == message_id)
